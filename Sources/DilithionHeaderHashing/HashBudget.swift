/// A submitter's allowance of RandomX hashes: `rate` per second with a burst of `burst`, kept as the
/// time at which the allowance would be used up (the generic cell rate algorithm), in integer
/// nanoseconds of the service's clock, so it runs the same on a manual clock.
public struct HashBudget: Sendable, Equatable {
    /// Nanoseconds of allowance one hash costs (10⁹ / rate).
    let costNanoseconds: UInt64
    /// How far ahead of now the allowance may be spent (burst × cost).
    let burstNanoseconds: UInt64
    /// When everything spent so far would have been earned back.
    private var spentUntil: UInt64

    /// - Parameters:
    ///   - rate: hashes per second (≥ 1).
    ///   - burst: hashes allowed at once on a fresh budget (≥ 1).
    ///   - now: the clock now.
    public init(rate: Int, burst: Int, now: UInt64) {
        costNanoseconds = 1_000_000_000 / UInt64(max(rate, 1))
        burstNanoseconds = costNanoseconds * UInt64(max(burst, 1))
        spentUntil = now
    }

    /// When the next hash may be spent: `now` or earlier when it may be spent at once.
    public func nextAllowed(now: UInt64) -> UInt64 {
        let base = max(spentUntil, now)
        return base + costNanoseconds > now + burstNanoseconds ? base + costNanoseconds - burstNanoseconds : now
    }

    /// Spends one hash (the caller checked ``nextAllowed(now:)``).
    public mutating func spend(now: UInt64) {
        spentUntil = max(spentUntil, now) + costNanoseconds
    }
}
