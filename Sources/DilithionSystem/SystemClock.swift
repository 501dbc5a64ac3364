/// `CLOCK_MONOTONIC`: never jumps with wall-clock changes.
public final class SystemClock: EngineClock {
    /// Creates the clock (stateless; instances are interchangeable).
    public init() {}

    /// The current monotonic time.
    public var now: EngineInstant {
        EngineInstant(nanoseconds: MonotonicClock.nanoseconds())
    }

    /// Always true.
    public var followsMonotonicTime: Bool { true }

    /// `instant` itself: this clock is `CLOCK_MONOTONIC`.
    public func monotonicNanoseconds(at instant: EngineInstant) -> UInt64 { instant.nanoseconds }

    /// Monotonic time advances by itself; observers are never called.
    public func addAdvanceObserver(_ observer: @escaping @Sendable () -> Void) -> Int { 0 }

    /// Nothing to remove.
    public func removeAdvanceObserver(_ token: Int) {}
}
