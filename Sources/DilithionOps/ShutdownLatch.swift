#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem

/// A one-way latch: set once (by a signal, the `stop` RPC, or a failure), waited on by the main
/// thread. The first reason wins; later requests are ignored.
public final class ShutdownLatch: @unchecked Sendable {
    private let mutex = PThreadMutex()
    private let condition = ConditionVariable()
    private var reason: String?  // guarded by mutex

    /// An open latch.
    public init() {}

    /// Sets the latch with `reason` (e.g. "SIGTERM", "stop RPC") unless it is already set.
    public func request(reason: String) {
        mutex.withLock {
            if self.reason == nil { self.reason = reason }
        }
        condition.broadcast()
    }

    /// The reason, if set.
    public var requestedReason: String? { mutex.withLock { reason } }

    /// Blocks until the latch is set; returns the reason.
    public func wait() -> String {
        mutex.lock()
        defer { mutex.unlock() }
        while reason == nil { condition.wait(mutex) }
        return reason!
    }

    /// Blocks until the latch is set or `seconds` pass; returns the reason, nil on timeout.
    public func wait(seconds: Double) -> String? {
        let deadline = MonotonicClock.nanoseconds(afterSeconds: seconds)
        mutex.lock()
        defer { mutex.unlock() }
        while reason == nil {
            if MonotonicClock.nanoseconds() >= deadline { return nil }
            condition.wait(mutex, untilMonotonicNanoseconds: deadline)
        }
        return reason
    }
}
