import DilithionWire

/// What the scheduler tracks per connection.
struct PeerDownloadState: Sendable {
    /// Outstanding requests → when each was sent (milliseconds).
    var inFlight: [Hash256: Int64] = [:]
    /// Every block asked of or delivered by this connection: never asked of it again (the C++ node
    /// punishes re-requests of served blocks, PROTOCOL.md §6).
    var seen: Set<Hash256> = []
    /// When this peer last delivered a requested block (milliseconds); nil before the first.
    var lastDelivery: Int64?
    /// Reported by `stalledPeers`; gets no further requests.
    var isStalling = false
    /// Requests allowed outstanding now; grows by one per delivered block up to `ceiling`, so the
    /// pipeline doubles each round trip while the peer keeps up (like TCP slow start).
    var limit: Int
    /// The most `limit` may reach for this peer.
    var ceiling: Int
}
