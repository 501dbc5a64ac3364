import DilithionWire

extension HeaderTree: HeaderAncestry {
    /// The header at `height` on the branch ending at `tip`: through the best chain's height index
    /// once the walk back from `tip` reaches it, so only the part of a side branch above its fork
    /// point is walked.
    public func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader? {
        guard let tipIndex = indexByHash[tip], let index = ancestorIndex(of: tipIndex, atHeight: height) else {
            return nil
        }
        return records[index].header
    }

    /// Index of the ancestor of `index` at `height` (itself at its own height), nil above it or below 0.
    func ancestorIndex(of index: Int, atHeight height: Int) -> Int? {
        guard height >= 0, height <= records[index].height else { return nil }
        var cursor = index
        while records[cursor].height > height {
            if isActive(cursor) { return activeChain[height] }
            cursor = records[cursor].parentIndex
        }
        return cursor
    }
}

extension HeaderTree: HeaderIndex {
    public func bestChainForkHeight(of hash: Hash256) -> Int? { forkHeight(of: hash) }
}
