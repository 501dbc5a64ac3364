/// The time source behind every engine deadline (connect, partial frame, send cap, protocol timers).
///
/// Production uses ``SystemClock``; tests use the test kit's `ManualClock` and move time by hand, so timeouts are
/// tested in microseconds without sleeping.
public protocol EngineClock: AnyObject, Sendable {
    /// The current instant.
    var now: EngineInstant { get }

    /// True when ``now`` is `CLOCK_MONOTONIC` time, so the dispatcher may block in a timed wait until
    /// the next deadline. False for clocks that only move when told (the dispatcher then waits for
    /// an advance notification instead).
    var followsMonotonicTime: Bool { get }

    /// The `CLOCK_MONOTONIC` reading at which this clock will show `instant`, for timed waits.
    /// Only called when ``followsMonotonicTime`` is true.
    func monotonicNanoseconds(at instant: EngineInstant) -> UInt64

    /// Registers a callback run after each manual advance; returns a token for removal. Clocks that
    /// follow monotonic time never call it.
    func addAdvanceObserver(_ observer: @escaping @Sendable () -> Void) -> Int

    /// Removes an observer registered with ``addAdvanceObserver(_:)``.
    func removeAdvanceObserver(_ token: Int)
}
