/// The ``PeerProtocol``'s counters for metrics, copied under its lock in one short hold.
struct PeerProtocolCounters: Sendable {
    /// Recent handshake durations in seconds (the last 1,000).
    var handshakeSeconds: [Double]
    var misbehaviourByReason: [String: Int]
    var ignoredByReason: [String: Int]
    var addressRelay: [String: Int]
    var establishedPeers: Int
}
