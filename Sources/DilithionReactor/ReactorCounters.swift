import Synchronization

/// Event counts the reactor thread increments and any thread may read (relaxed atomics: they are
/// statistics, not synchronization).
final class ReactorCounters: Sendable {
    let callbacks = Atomic<Int>(0)
    let wakeups = Atomic<Int>(0)
    let readCallbacks = Atomic<Int>(0)
    let writeCallbacks = Atomic<Int>(0)
    let timerCallbacks = Atomic<Int>(0)
    let acceptCallbacks = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let acceptBackoffs = Atomic<Int>(0)
    let reads = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
    let openConnections = Atomic<Int>(0)

    @inline(__always)
    static func bump(_ counter: borrowing Atomic<Int>, by amount: Int = 1) {
        counter.wrappingAdd(amount, ordering: .relaxed)
    }

    var snapshot: ReactorStatistics {
        ReactorStatistics(
            callbacks: callbacks.load(ordering: .relaxed),
            wakeups: wakeups.load(ordering: .relaxed),
            readCallbacks: readCallbacks.load(ordering: .relaxed),
            writeCallbacks: writeCallbacks.load(ordering: .relaxed),
            timerCallbacks: timerCallbacks.load(ordering: .relaxed),
            acceptCallbacks: acceptCallbacks.load(ordering: .relaxed),
            accepted: accepted.load(ordering: .relaxed),
            refused: refused.load(ordering: .relaxed),
            acceptBackoffs: acceptBackoffs.load(ordering: .relaxed),
            reads: reads.load(ordering: .relaxed),
            writes: writes.load(ordering: .relaxed),
            openConnections: openConnections.load(ordering: .relaxed))
    }
}
