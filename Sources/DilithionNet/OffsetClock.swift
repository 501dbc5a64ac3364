import DilithionSystem
import Synchronization

/// `CLOCK_MONOTONIC` plus an offset that can only grow: it runs with real time, and a test or a
/// regtest operator can jump it forward (`setmocktime`) to make timeouts come due without waiting.
/// A regtest `dilithion-node` runs on this clock; other networks use ``SystemClock``.
public final class OffsetClock: EngineClock, @unchecked Sendable {
    private let base = SystemClock()
    /// Every advance so far. An atomic rather than a lock: `now` is read several times per
    /// connection and per received batch. Advances only add to it, so a reader sees the old or
    /// the new offset, both valid instants of a clock that never goes back.
    private let offsetNanoseconds = Atomic<UInt64>(0)
    private let observers = ClockObservers()

    /// A clock that starts equal to ``SystemClock``.
    public init() {}

    /// Monotonic time plus every advance so far.
    public var now: EngineInstant {
        EngineInstant(nanoseconds: base.now.nanoseconds &+ offsetNanoseconds.load(ordering: .acquiring))
    }

    /// How far this clock is ahead of `CLOCK_MONOTONIC`.
    public var offset: Duration { .nanoseconds(Int64(offsetNanoseconds.load(ordering: .acquiring))) }

    /// True: between advances it moves with monotonic time, so the dispatcher waits on deadlines.
    public var followsMonotonicTime: Bool { true }

    /// `instant` minus the offset: the monotonic reading at which this clock shows `instant`.
    public func monotonicNanoseconds(at instant: EngineInstant) -> UInt64 {
        let offset = offsetNanoseconds.load(ordering: .acquiring)
        return instant.nanoseconds > offset ? instant.nanoseconds - offset : 0
    }

    /// Jumps forward by `duration` (zero or negative: no change) and wakes the observers, so that
    /// waits computed before the jump are recomputed and deadlines now due fire.
    public func advance(by duration: Duration) {
        guard duration > .zero else { return }
        offsetNanoseconds.wrappingAdd(duration.engineNanoseconds, ordering: .releasing)
        observers.notify()
    }

    /// Registers `observer`, called after each ``advance(by:)``; returns its token.
    public func addAdvanceObserver(_ observer: @escaping @Sendable () -> Void) -> Int { observers.add(observer) }

    /// Unregisters the observer with `token`.
    public func removeAdvanceObserver(_ token: Int) { observers.remove(token) }
}
