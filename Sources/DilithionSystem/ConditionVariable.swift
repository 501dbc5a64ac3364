#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread condition variable bound to `CLOCK_MONOTONIC`, used with a ``PThreadMutex``.
///
/// Waits are for "there is work" signals; the only timed wait is until an absolute engine deadline.
public final class ConditionVariable: @unchecked Sendable {
    // Only touched through pthread calls, which synchronize by themselves.
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// Creates a condition variable whose timed waits use the monotonic clock.
    public init() {
        condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        let result = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        precondition(result == 0, "pthread_cond_init failed: \(result)")
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Atomically releases `mutex` and sleeps until signalled; `mutex` is held again on return.
    /// Callers re-check their predicate in a loop (spurious wake-ups are allowed).
    public func wait(_ mutex: PThreadMutex) {
        let result = pthread_cond_wait(condition, mutex.mutex)
        precondition(result == 0, "pthread_cond_wait failed: \(result)")
    }

    /// Like ``wait(_:)`` but returns at the latest when `CLOCK_MONOTONIC` reaches `deadlineNanoseconds`.
    public func wait(_ mutex: PThreadMutex, untilMonotonicNanoseconds deadlineNanoseconds: UInt64) {
        var deadline = timespec(
            tv_sec: Int(deadlineNanoseconds / 1_000_000_000),
            tv_nsec: Int(deadlineNanoseconds % 1_000_000_000))
        let result = pthread_cond_timedwait(condition, mutex.mutex, &deadline)
        precondition(result == 0 || result == ETIMEDOUT, "pthread_cond_timedwait failed: \(result)")
    }

    /// Wakes one waiter.
    public func signal() {
        pthread_cond_signal(condition)
    }

    /// Wakes every waiter.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
