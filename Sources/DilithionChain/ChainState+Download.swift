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

    /// The blocks to fetch toward `target`: those not stored on the path from the active chain,
    /// lowest first, within `limit` heights above the fork point (the download window; pass
    /// ``DownloadPlan/forkHeight`` as the scheduler's base height). Stops below a failed header.
    public func downloadPlan(toward target: Hash256, limit: Int) -> DownloadPlan {
        lock.withLock {
            guard let index = tree.indexByHash[target] else { return DownloadPlan(forkHeight: tree.activeHeight, candidates: []) }
            let (forkHeight, path) = tree.downloadPath(toward: index, limit: limit)
            var candidates = [DownloadCandidate]()
            candidates.reserveCapacity(path.count)
            // Runs once per request batch over the whole window (up to 1,024 records): the fields
            // are read in place, not the ~300-byte record copied out for each.
            let records = tree.records
            for member in path {
                let status = records[member].status
                if status == .failed { break }
                guard status == .headerOnly else { continue }
                // A staged block is received and valid: only its commit is missing.
                let hash = records[member].hash
                if !writer.stagedHashes.contains(hash) {
                    candidates.append(DownloadCandidate(hash: hash, height: records[member].height))
                }
            }
            return DownloadPlan(forkHeight: forkHeight, candidates: candidates)
        }
    }

    /// The blocks to fetch toward the best header, within `limit` heights above the point where the
    /// best header chain leaves the active chain, lowest first.
    public func downloadCandidates(limit: Int) -> [DownloadCandidate] {
        downloadPlan(toward: bestHeader.hash, limit: limit).candidates
    }
}
