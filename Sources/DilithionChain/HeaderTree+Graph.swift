import DilithionWire

/// Read access to the graph for the tree's own rules and for ``ChainState``, which reads records
/// and chains under its lock. Mutation goes through `graph` in the tree's own methods only.
extension HeaderTree {
    var records: [HeaderRecord] { graph.records }
    var indexByHash: [Hash256: Int] { graph.indexByHash }
    var bestChain: [Int] { graph.bestChain }
    var activeChain: [Int] { graph.activeChain }
    var unlinkedChildren: [Int: [Int]] { graph.unlinkedChildren }
    var commonHeight: Int { graph.commonHeight }

    func isBest(_ index: Int) -> Bool { graph.isBest(index) }

    func change(from oldIndex: Int, along chain: [Int]) -> ChainChange? { graph.change(from: oldIndex, along: chain) }

    func downloadPath(toward target: Int, limit: Int) -> (forkHeight: Int, path: [Int]) {
        graph.downloadPath(toward: target, limit: limit)
    }
}
