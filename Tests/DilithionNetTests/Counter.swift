import DilithionSystem

/// A counter shared with handlers.
final class Counter: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    func add(_ amount: Int) { lock.withLock { count += amount } }
    var value: Int { lock.withLock { count } }
}
