import DilithionWire

extension HeaderTree: HeaderAncestry {
    /// The header at `height` on the branch ending at `tip`: through either chain's height index
    /// once the walk back from `tip` reaches it (``HeaderGraph/branchAncestor(of:atHeight:)``), so only the part
    /// of a side branch above its fork point is walked.
    public func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader? {
        guard let tipIndex = indexByHash[tip], let index = graph.branchAncestor(of: tipIndex, atHeight: height) else {
            return nil
        }
        return records[index].header
    }
}

extension HeaderTree: HeaderIndex {
    public func bestChainForkHeight(of hash: Hash256) -> Int? {
        indexByHash[hash].map { records[graph.bestForkPoint(of: $0)].height }
    }
}
