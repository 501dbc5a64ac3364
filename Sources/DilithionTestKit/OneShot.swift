import DilithionSystem

/// One value handed over by another thread (typically a completion handler) and waited for
/// without sleeping or polling. Any thread may deliver or wait.
public final class OneShot<Value: Sendable>: @unchecked Sendable {
    private let lock = PThreadMutex()
    private let delivered = ConditionVariable()
    private var value: Value?  // guarded by lock

    /// An empty one.
    public init() {}

    /// Hands `value` over and wakes every waiter (a second delivery replaces the first).
    public func deliver(_ value: Value) {
        lock.withLock {
            self.value = value
            delivered.broadcast()
        }
    }

    /// Blocks until a value is delivered and returns it; nil if none came within `hangGuardSeconds`
    /// (a guard that turns a hang into a failure, not a timing assertion; `.infinity` waits as
    /// long as it takes).
    public func wait(hangGuardSeconds: Double = 60) -> Value? {
        let deadline: UInt64? = hangGuardSeconds.isFinite ? MonotonicClock.nanoseconds(afterSeconds: hangGuardSeconds) : nil
        return lock.withLock {
            while value == nil {
                guard let deadline else {
                    delivered.wait(lock)
                    continue
                }
                guard MonotonicClock.nanoseconds() < deadline else { break }
                delivered.wait(lock, untilMonotonicNanoseconds: deadline)
            }
            return value
        }
    }
}
