/// Timer tags of the per-peer timers (the engine has one timer callback, the ``PeerProtocol``'s).
enum PeerTimer: UInt64 {
    case versionDeadline = 1
    case handshakeDeadline = 2
    case keepalive = 3
    /// Work done off the dispatcher is waiting: outcomes of legacy `headers` messages, blocks
    /// validated on the worker (``SyncCoordinator/offDispatcherWorkReady(for:)``).
    case legacyHeadersReady = 4
}
