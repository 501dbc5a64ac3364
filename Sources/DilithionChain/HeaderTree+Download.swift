/// The blocks to fetch toward a header a peer is known to have (Bitcoin Core's
/// `FindNextBlocksToDownload`): the path from the active chain to that header.
extension HeaderTree {
    /// The records on the path from the active chain to `target`, lowest first, at most `limit`
    /// of them above the fork point (stored ones included: the caller filters), and the fork
    /// point's height. The path is read from the best header chain where it runs along it, so the
    /// cost is the length of the part that does not (bounded by the side-branch cap), plus `limit`.
    func downloadPath(toward target: Int, limit: Int) -> (forkHeight: Int, path: [Int]) {
        var offChains = [Int]()  // from target down to the first record on either chain
        var cursor = target
        while !isActive(cursor), !isBest(cursor) {
            offChains.append(cursor)
            cursor = records[cursor].parentIndex
        }
        let cap = max(limit, 0)
        guard cap > 0 else { return (isActive(cursor) ? records[cursor].height : commonHeight, []) }
        if isActive(cursor) {
            return (records[cursor].height, Array(offChains.reversed().prefix(cap)))
        }
        // The branch joins the best header chain above the active chain: fetch along the best
        // header chain from the common point first.
        let fork = commonHeight
        let joinHeight = records[cursor].height
        var path = Array(bestChain[(fork + 1)...min(joinHeight, fork + cap)])
        if path.count < cap { path.append(contentsOf: offChains.reversed().prefix(cap - path.count)) }
        return (fork, path)
    }
}
