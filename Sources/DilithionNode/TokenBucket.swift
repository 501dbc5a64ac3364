/// A token bucket: `rate` tokens per second up to `capacity`. Used for incoming `addr` entries
/// (Bitcoin Core's 0.1/s with a burst of 1 000).
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let capacity: Double
    public private(set) var tokens: Double
    private var lastRefillSeconds: Double

    /// A bucket holding `initialTokens` (by default full).
    public init(rate: Double, capacity: Double, nowSeconds: Double, initialTokens: Double? = nil) {
        self.rate = rate
        self.capacity = capacity
        self.tokens = initialTokens ?? capacity
        self.lastRefillSeconds = nowSeconds
    }

    /// Takes up to `count` tokens; returns how many were granted.
    public mutating func take(_ count: Int, nowSeconds: Double) -> Int {
        if nowSeconds > lastRefillSeconds {
            // A grant may have lifted the bucket above capacity; refilling never lowers it.
            if tokens < capacity { tokens = min(capacity, tokens + (nowSeconds - lastRefillSeconds) * rate) }
            lastRefillSeconds = nowSeconds
        }
        let granted = min(count, Int(tokens))
        tokens -= Double(granted)
        return granted
    }

    /// Adds `count` tokens at once, beyond the capacity if need be (room for the answer to a
    /// `getaddr` we sent: Bitcoin Core adds 1 000).
    public mutating func grant(_ count: Double) {
        tokens += count
    }
}
