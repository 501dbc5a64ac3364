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

    /// Puts `element` back in front of the queue (a message a dispatcher batch took and could not
    /// deliver yet). Cheap right after `popFirst`, which leaves the slot before the head free.
    mutating func prepend(_ element: Element) {
        if head > 0 {
            head -= 1
            slots[head] = element
        } else {
            slots.insert(element, at: 0)
        }
    }

    mutating func removeAll() {
        slots.removeAll()
        head = 0
    }
}
