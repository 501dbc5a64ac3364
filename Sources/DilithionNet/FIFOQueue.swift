/// A first-in first-out queue with O(1) amortized append and pop. Popped slots are cleared at once,
/// so a large popped frame does not stay alive until the next compaction.
struct FIFOQueue<Element> {
    private var slots: [Element?] = []
    private var head = 0

    var isEmpty: Bool { head == slots.count }
    var count: Int { slots.count - head }

    mutating func append(_ element: Element) {
        slots.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < slots.count else { return nil }
        let element = slots[head].take()  // moves the element out: no retain/release pair
        head += 1
        if head == slots.count {
            slots.removeAll(keepingCapacity: slots.capacity <= 4096)
            head = 0
        } else if head >= 1024, head * 2 >= slots.count {
            slots.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Puts `elements` back in front of the queue, in their order (messages a dispatcher batch
    /// took and could not deliver yet).
    mutating func prepend(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        if head >= elements.count {
            head -= elements.count
            for (offset, element) in elements.enumerated() {
                slots[head + offset] = element
            }
        } else {
            slots.replaceSubrange(0..<head, with: elements.map { Optional($0) })
            head = 0
        }
    }

    mutating func removeAll() {
        slots.removeAll()
        head = 0
    }
}
