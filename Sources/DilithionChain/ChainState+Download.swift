import DilithionWire

/// What to download, per peer (Bitcoin Core's model): every peer is asked for the blocks on the path
/// from the active chain to the best header it is known to have, if that header has more work than
/// the active tip. An honest heavier fork is thus fetched from the peers that announced it, and a
/// branch nobody delivers occupies only the download slots of the peers that claimed it.
extension ChainState {
    /// The header to download toward for a peer that sent `knownHash` as its last header (nil if it
    /// sent none) and claims `knownHeight`: a hash on the best header chain stands for the best
    /// header chain up to the claimed height; one on another branch for that branch; no hash for the
    /// best header chain up to the claimed height. Nil when that header has no more work than the
    /// active tip (nothing to fetch), except a best header that ties the active tip by winning the
    /// VDF lottery (its block may replace the tip).
    public func downloadTarget(knownHash: Hash256?, knownHeight: Int) -> Hash256? {
        lock.withLock {
            let target: HeaderRecord
            if let knownHash, let index = tree.indexByHash[knownHash], tree.records[index].status != .failed {
                if tree.isBest(index) {
                    let height = min(max(tree.records[index].height, knownHeight), tree.bestHeight)
                    target = tree.records[tree.bestChain[height]]
                } else {
                    target = tree.records[index]
                }
            } else {
                guard let record = tree.bestRecord(atHeight: min(knownHeight, tree.bestHeight)) else { return nil }
                target = record
            }
            let active = tree.activeTip
            if active.chainWork < target.chainWork { return target.hash }
            let tiesAsLotteryWinner =
                target.chainWork == active.chainWork && target.hash == tree.bestTip.hash && target.status == .headerOnly
            return tiesAsLotteryWinner ? target.hash : nil
        }
    }

    /// The blocks to fetch toward `target`: those neither stored nor staged on the path from the
    /// active chain, lowest first, within `limit` heights above the window's base (pass
    /// ``DownloadPlan/forkHeight`` as the scheduler's base height). Stops below a failed header.
    ///
    /// The base is where the path leaves the active chain, raised over the blocks right above it
    /// that are staged (or stored): those are received and valid, in order, and wait only for their
    /// batch's commit. The window bounds blocks held out of order; measured from the active tip it
    /// would fill with a batch waiting for its commit (up to 1,000 blocks of a 1,024 window) and
    /// the download would stall until the commit.
    public func downloadPlan(toward target: Hash256, limit: Int) -> DownloadPlan {
        lock.withLock {
            guard let index = tree.indexByHash[target] else { return DownloadPlan(forkHeight: tree.activeHeight, candidates: []) }
            let staged = writer.stagedHashes
            let (forkHeight, path) = tree.downloadPath(toward: index, limit: max(limit, 0) + staged.count)
            var base = forkHeight
            var inOrder = true  // every member so far is staged or stored
            var candidates = [DownloadCandidate]()
            candidates.reserveCapacity(min(path.count, max(limit, 0)))
            // Runs once per request batch over the whole window (1,024 records and the staged ones):
            // the fields are read in place, not the ~300-byte record copied out for each.
            let records = tree.records
            for member in path {
                let status = records[member].status
                if status == .failed { break }
                let height = records[member].height
                let hash = records[member].hash
                if status != .headerOnly || staged.contains(hash) {
                    if inOrder { base = height }
                    continue
                }
                inOrder = false
                guard height <= base + limit else { break }
                candidates.append(DownloadCandidate(hash: hash, height: height))
            }
            return DownloadPlan(forkHeight: base, candidates: candidates)
        }
    }

    /// The blocks to fetch toward the best header, within `limit` heights above the point where the
    /// best header chain leaves the active chain, lowest first.
    public func downloadCandidates(limit: Int) -> [DownloadCandidate] {
        downloadPlan(toward: bestHeader.hash, limit: limit).candidates
    }
}
