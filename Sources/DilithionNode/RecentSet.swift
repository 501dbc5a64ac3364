/// A set that remembers at most `capacity` elements, forgetting the oldest first: "which
/// addresses does this peer already know" without unbounded memory (Bitcoin Core uses a rolling
/// bloom filter of 5 000 for the same purpose).
struct RecentSet<Element: Hashable & Sendable>: Sendable {
    let capacity: Int
    private var members: Set<Element> = []
    /// Insertion order as a ring: once full, `ring[oldest]` is the next to be forgotten.
    private var ring: [Element] = []
    private var oldest = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { members.count }

    func contains(_ element: Element) -> Bool { members.contains(element) }

    mutating func insert(_ element: Element) {
        guard members.insert(element).inserted else { return }
        if ring.count < capacity {
            ring.append(element)
            return
        }
        members.remove(ring[oldest])
        ring[oldest] = element
        oldest = (oldest + 1) % capacity
    }
}
