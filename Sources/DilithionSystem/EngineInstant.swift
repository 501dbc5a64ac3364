/// A point in engine time, in nanoseconds from an arbitrary origin (the clock's). Deadlines are
/// absolute instants compared with ``EngineClock/now``.
public struct EngineInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public let nanoseconds: UInt64

    /// An instant `nanoseconds` after the origin.
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// This instant moved forward by `duration` (negative durations are treated as zero).
    public func advanced(by duration: Duration) -> EngineInstant {
        EngineInstant(nanoseconds: nanoseconds &+ duration.engineNanoseconds)
    }

    /// Time from `earlier` to this instant (zero if `earlier` is later).
    public func duration(since earlier: EngineInstant) -> Duration {
        nanoseconds > earlier.nanoseconds ? .nanoseconds(Int64(nanoseconds - earlier.nanoseconds)) : .zero
    }

    /// Orders by time.
    public static func < (lhs: EngineInstant, rhs: EngineInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The nanosecond count.
    public var description: String { "\(nanoseconds)ns" }
}

extension Duration {
    /// Whole nanoseconds, clamped at zero.
    public var engineNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
