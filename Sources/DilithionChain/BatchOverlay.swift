import DilithionWire

/// The headers of a batch that passed the pre-check so far, stacked on the tree they extend: an
/// ancestry in which a not yet hashed header is named by its cache key (SHA3-256 of its bytes)
/// until its real hash is known.
struct BatchOverlay<Base: HeaderIndex>: HeaderAncestry {
    struct Node {
        let header: BlockHeader
        let height: Int
        /// The parent's name: a hash in the tree or another overlay node's name.
        let parent: Hash256
        /// Where the branch leaves the best chain of the tree.
        let forkHeight: Int
    }

    let base: Base
    private(set) var nodes: [Hash256: Node] = [:]

    init(base: Base) { self.base = base }

    mutating func add(_ node: Node, named name: Hash256) { nodes[name] = node }

    func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader? {
        var name = tip
        while let node = nodes[name] {
            if node.height == height { return node.header }
            if node.height < height { return nil }
            name = node.parent
        }
        return base.header(atHeight: height, onBranchOf: name)
    }
}
