/// Timer tags of the per-peer timers (the engine has one timer callback, the ``PeerProtocol``'s).
enum PeerTimer: UInt64 {
    case versionDeadline = 1
    case handshakeDeadline = 2
    case keepalive = 3
    /// Outcomes of legacy `headers` messages are waiting (``SyncCoordinator/legacyHeadersReady(for:)``).
    case legacyHeadersReady = 4
}
