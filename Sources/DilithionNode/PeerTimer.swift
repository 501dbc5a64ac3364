/// Timer tags of the per-peer timers of the ``PeerProtocol``.
enum PeerTimer: UInt64 {
    case versionDeadline = 1
    case handshakeDeadline = 2
    case keepalive = 3
}
