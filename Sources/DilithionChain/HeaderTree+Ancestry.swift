import DilithionWire

extension HeaderTree: HeaderAncestry {
    /// The header at `height` on the branch ending at `tip`: through either chain's height index
    /// once the walk back from `tip` reaches it (``branchAncestor(of:atHeight:)``), so only the part
    /// of a side branch above its fork point is walked.
    public func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader? {
        guard let tipIndex = indexByHash[tip], let index = branchAncestor(of: tipIndex, atHeight: height) else {
            return nil
        }
        return records[index].header
    }

    /// The highest best-header-chain ancestor of `index` (itself if it is on the best header chain).
    func bestForkPoint(of index: Int) -> Int {
        var cursor = index
        while !isBest(cursor) {
            // Leave a branch that runs along the active chain in one step.
            if isActive(cursor) { return bestChain[min(commonHeight, records[cursor].height)] }
            cursor = records[cursor].parentIndex
        }
        return cursor
    }
}

extension HeaderTree: HeaderIndex {
    public func bestChainForkHeight(of hash: Hash256) -> Int? {
        indexByHash[hash].map { records[bestForkPoint(of: $0)].height }
    }
}
