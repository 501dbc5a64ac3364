/// Requests per client address: a token bucket per address holding up to `burst` tokens, refilled
/// at `perMinute` a minute; each request takes one. I/O thread only (the owning ``HTTPServer``'s).
///
/// Memory is bounded: past ``maxAddresses`` buckets, the buckets that have refilled completely
/// (addresses idle for a while, indistinguishable from new ones) are dropped, and if that is not
/// enough, the oldest half.
struct AddressRequestLimiter {
    /// Most addresses tracked. 65 536 buckets are a few MiB.
    static let maxAddresses = 65_536

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let perMinute: Int
    let burst: Int
    private var buckets: [String: Bucket] = [:]

    init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = max(1, burst)
    }

    /// Addresses with a bucket.
    var trackedAddressCount: Int { buckets.count }

    /// Takes a token for `address` at monotonic time `now`; false when none is left.
    mutating func admit(_ address: String, now: Double) -> Bool {
        var bucket = buckets[address] ?? Bucket(tokens: Double(burst), updated: now)
        bucket.tokens = min(Double(burst), bucket.tokens + (now - bucket.updated) * Double(perMinute) / 60)
        bucket.updated = now
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        buckets[address] = bucket
        if buckets.count > Self.maxAddresses { prune(now: now) }
        return admitted
    }

    private mutating func prune(now: Double) {
        let refillSeconds = Double(burst) * 60 / Double(max(perMinute, 1))
        buckets = buckets.filter { now - $0.value.updated < refillSeconds }
        if buckets.count > Self.maxAddresses / 2 {
            let newest = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(Self.maxAddresses / 2)
            buckets = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
        }
    }
}
