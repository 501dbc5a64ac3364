import DilithionSystem

/// A one-shot gate a handler can block on, so a test can hold the dispatcher still while it builds
/// up a situation (a full inbox, a flood).
final class Gate: @unchecked Sendable {
    private let lock = PThreadMutex()
    private let condition = ConditionVariable()
    private var isOpen = false  // guarded by lock
    private var waiters = 0  // guarded by lock

    func open() {
        lock.withLock {
            isOpen = true
            condition.broadcast()
        }
    }

    /// Blocks until `open()` (bounded: 60 s, so a broken test fails instead of hanging).
    func pass() {
        let deadline = MonotonicClock.nanoseconds(afterSeconds: 60)
        lock.withLock {
            waiters += 1
            condition.broadcast()
            while !isOpen, MonotonicClock.nanoseconds() < deadline {
                condition.wait(lock, untilMonotonicNanoseconds: deadline)
            }
        }
    }

    /// Waits until a thread is blocked in (or went through) `pass()`; false after `timeout` seconds.
    func waitForWaiter(timeout: Double = 30) -> Bool {
        let deadline = MonotonicClock.nanoseconds(afterSeconds: timeout)
        return lock.withLock {
            while waiters == 0 {
                if MonotonicClock.nanoseconds() >= deadline { return false }
                condition.wait(lock, untilMonotonicNanoseconds: deadline)
            }
            return true
        }
    }
}
