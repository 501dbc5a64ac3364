/// A token bucket: `rate` tokens per second up to `capacity`. Used for incoming `addr` entries
/// (Bitcoin Core's 0.1/s with a burst of 1 000).
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let capacity: Double
    public private(set) var tokens: Double
    private var lastRefillSeconds: Double

    public init(rate: Double, capacity: Double, nowSeconds: Double) {
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.lastRefillSeconds = nowSeconds
    }

    /// Takes up to `count` tokens; returns how many were granted.
    public mutating func take(_ count: Int, nowSeconds: Double) -> Int {
        if nowSeconds > lastRefillSeconds {
            tokens = min(capacity, tokens + (nowSeconds - lastRefillSeconds) * rate)
            lastRefillSeconds = nowSeconds
        }
        let granted = min(count, Int(tokens))
        tokens -= Double(granted)
        return granted
    }
}
