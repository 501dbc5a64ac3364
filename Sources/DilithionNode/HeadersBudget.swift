/// How many headers each address may make us process once the node is out of initial block
/// download: a token bucket per address (``SyncSettings/headersBurst`` headers, refilled at
/// ``SyncSettings/headersPerSecond``).
///
/// Why: VDF headers cost nothing to make and a relay must hash and place every one it takes; a
/// synced node needs only a few headers a minute per peer (new blocks), or one or two batches to
/// catch up after a restart or a partition, which the burst covers. Headers past the budget are
/// dropped unprocessed and counted (`headers-over-budget`), like the C++ node's 10 `headers`
/// messages per second per peer outside IBD (PROTOCOL.md §7), no penalty: headers sync asks again
/// as the budget refills. Per address, not per connection, so reconnecting does not refill it.
/// Bounded: at most ``capacity`` addresses; a full table forgets an arbitrary one.
struct HeadersBudget {
    /// Most addresses remembered.
    static let capacity = 4_096

    private var buckets: [String: TokenBucket] = [:]

    /// Takes up to `count` headers of budget for `host` at `nowSeconds` (monotonic); returns how many
    /// may be processed.
    mutating func take(_ count: Int, host: String, nowSeconds: Double, rate: Double, burst: Double) -> Int {
        var bucket = buckets.removeValue(forKey: host) ?? TokenBucket(rate: rate, capacity: burst, nowSeconds: nowSeconds)
        let granted = bucket.take(count, nowSeconds: nowSeconds)
        if buckets.count >= Self.capacity, let any = buckets.keys.first { buckets[any] = nil }
        buckets[host] = bucket
        return granted
    }
}
