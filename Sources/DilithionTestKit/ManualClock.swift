import DilithionNet
import DilithionSystem

/// A clock that moves only when ``advance(by:)`` is called: deadline tests run instantly and
/// deterministically. Test-only (the tests and `NodeFuzz` use it); a node runs on `SystemClock` or,
/// on regtest, `OffsetClock`.
public final class ManualClock: EngineClock, @unchecked Sendable {
    private let lock = PThreadMutex()
    private var current: EngineInstant  // guarded by lock
    private let observers = ClockObservers()

    /// A clock starting at `start`.
    public init(start: EngineInstant = EngineInstant(nanoseconds: 1_000_000_000)) {
        current = start
    }

    /// The instant last set.
    public var now: EngineInstant { lock.withLock { current } }

    /// Always false: only ``advance(by:)`` moves this clock.
    public var followsMonotonicTime: Bool { false }

    /// Not meaningful for a clock that moves only when told (never called: ``followsMonotonicTime``
    /// is false); returns `instant` unchanged.
    public func monotonicNanoseconds(at instant: EngineInstant) -> UInt64 { instant.nanoseconds }

    /// Moves time forward and notifies observers (after releasing the clock's lock).
    public func advance(by duration: Duration) {
        lock.withLock { current = current.advanced(by: duration) }
        observers.notify()
    }

    /// Registers `observer`; returns its token.
    public func addAdvanceObserver(_ observer: @escaping @Sendable () -> Void) -> Int { observers.add(observer) }

    /// Unregisters the observer with `token`.
    public func removeAdvanceObserver(_ token: Int) { observers.remove(token) }
}
