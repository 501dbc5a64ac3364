import DilithionSystem

/// The advance observers of a clock that can jump (the test kit's `ManualClock`, ``OffsetClock``): registration
/// by token, and a snapshot to call after the jump with no lock held. Package-wide because the
/// manual clock lives in the test kit.
package final class ClockObservers: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var observers: [Int: @Sendable () -> Void] = [:]  // guarded by lock
    private var nextToken = 1  // guarded by lock

    package init() {}

    /// Registers `observer`; returns its token.
    package func add(_ observer: @escaping @Sendable () -> Void) -> Int {
        lock.withLock {
            let token = nextToken
            nextToken += 1
            observers[token] = observer
            return token
        }
    }

    /// Unregisters the observer with `token`.
    package func remove(_ token: Int) {
        _ = lock.withLock { observers.removeValue(forKey: token) }
    }

    /// Calls every observer registered now (outside the lock).
    package func notify() {
        let current = lock.withLock { Array(observers.values) }
        current.forEach { $0() }
    }
}
