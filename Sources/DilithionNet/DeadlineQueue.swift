import DilithionSystem

/// A binary min-heap of ``Deadline``s: O(log n) insert and pop, O(1) peek at the earliest. The
/// dispatcher sleeps until the earliest one (a timed wait on the monotonic clock).
struct DeadlineQueue {
    private var heap: [Deadline] = []
    private var nextSequence: UInt64 = 0

    var earliest: Deadline? { heap.first }
    var count: Int { heap.count }

    /// Inserts a deadline; returns true when it became the earliest.
    @discardableResult
    mutating func insert(at instant: EngineInstant, _ kind: Deadline.Kind) -> Bool {
        let deadline = Deadline(instant: instant, sequence: nextSequence, kind: kind)
        nextSequence += 1
        heap.append(deadline)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        return child == 0
    }

    /// Removes and returns every deadline due at `now`, earliest first.
    mutating func popDue(_ now: EngineInstant, into due: inout [Deadline]) {
        while let first = heap.first, first.instant <= now {
            due.append(first)
            let last = heap.removeLast()
            guard !heap.isEmpty else { break }
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }
}
