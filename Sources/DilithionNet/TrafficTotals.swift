/// Bytes and messages exchanged with every peer since the engine started, departed peers included
/// (`getnettotals`, the `/metrics` traffic counters): monotonic, unlike the per-peer figures of
/// ``PeerStatistics``, which vanish with the peer.
public struct TrafficTotals: Sendable, Equatable {
    /// Bytes read from all peers.
    public var bytesReceived = 0
    /// Bytes written to all peers.
    public var bytesSent = 0
    /// Received messages and their wire bytes, by command.
    public var received: [String: CommandStatistics] = [:]
    /// Sent messages and their wire bytes, by command.
    public var sent: [String: CommandStatistics] = [:]

    /// Nothing yet.
    public init() {}

    /// Adds one peer's figures.
    mutating func add(_ peer: PeerState) {
        bytesReceived += peer.bytesReceived
        bytesSent += peer.bytesSent
        peer.received.add(to: &received)
        peer.sent.add(to: &sent)
    }
}
