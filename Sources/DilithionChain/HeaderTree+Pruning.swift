import DilithionWire

/// Pruning: side branches that fall far behind the active tip, and branches whose blocks nobody
/// delivered within ``ChainConfiguration/unbackedBranchLifetimeSeconds``, leave the tree; when the
/// side-branch cap is reached, the least recently extended branches without a stored block are
/// evicted first. Removed records are compacted away (``compact(removing:)``): the record array and
/// the hash index are rebuilt at their new size, so the memory is returned, not kept as holes.
///
/// A *branch* here is a connected group of records off a chain, identified by its lowest record
/// (the root, whose parent is on the chain). Active-chain records are never pruned; a stored block's
/// record is pruned only with a stale branch (its block stays in the store and is still served).
extension HeaderTree {
    /// What one branch looks like to the pruning rules.
    private struct BranchSummary {
        var count = 0
        var lowestInsertedAt = Int64.max
        var lastStoredAt: Int64 = 0
        var lastActivity: Int64 = 0
        var highest = 0
        var mostWork = ChainWork.zero
        var hasStoredBlock = false
    }

    /// The branch root of every record off the records where `onChain` holds (-1 on the chain), and
    /// a summary per root. One forward pass: parents come before children.
    private func branches(offChain onChain: (Int) -> Bool) -> (root: [Int], summaries: [Int: BranchSummary]) {
        var root = [Int](repeating: -1, count: records.count)
        var summaries = [Int: BranchSummary]()
        for index in records.indices where !onChain(index) {
            let record = records[index]
            let parentRoot = record.parentIndex >= 0 ? root[record.parentIndex] : -1
            let branch = parentRoot == -1 ? index : parentRoot
            root[index] = branch
            var summary = summaries[branch] ?? BranchSummary()
            summary.count += 1
            summary.lowestInsertedAt = min(summary.lowestInsertedAt, record.insertedAt)
            summary.lastStoredAt = max(summary.lastStoredAt, record.storedAt)
            summary.lastActivity = max(summary.lastActivity, record.insertedAt, record.storedAt)
            summary.highest = max(summary.highest, record.height)
            if summary.mostWork < record.chainWork { summary.mostWork = record.chainWork }
            if record.status == .stored { summary.hasStoredBlock = true }
            summaries[branch] = summary
        }
        return (root, summaries)
    }

    // MARK: Expiry and staleness

    /// Removes the branches off the active chain that fell more than
    /// ``ChainConfiguration/staleBranchDepth`` below the active tip, and the header-only part of
    /// branches with no block delivered for ``ChainConfiguration/unbackedBranchLifetimeSeconds``
    /// (counted from the branch's first header, its last stored block, or, for a branch growing on
    /// the active tip, the tip's last move). The best header chain is such a branch when it is ahead
    /// of the active chain: if it expires, the best header falls back to the most-work header left.
    ///
    /// - Parameter watching: headers peers claimed to have; those removed with an expired branch
    ///   that had more work than the active tip (a branch the node would have downloaded, and
    ///   nobody delivered) come back in ``PruneReport/withheld``.
    public mutating func prune(now: Int64, watching: Set<Hash256> = []) -> PruneReport {
        let (root, summaries) = branches { isActive($0) }
        let tip = activeTip
        let tipIndex = activeChain[activeChain.count - 1]
        var stale = Set<Int>()
        var expired = Set<Int>()
        var withheldBranches = Set<Int>()
        for (branch, summary) in summaries {
            if summary.highest + staleBranchDepth < tip.height {
                stale.insert(branch)
                continue
            }
            let growsOnTip = records[branch].parentIndex == tipIndex
            let delivered = max(summary.lastStoredAt, growsOnTip ? activeTipMovedAt : 0)
            guard now - max(summary.lowestInsertedAt, delivered) > unbackedBranchLifetimeSeconds else { continue }
            expired.insert(branch)
            if tip.chainWork < summary.mostWork { withheldBranches.insert(branch) }
        }
        guard !stale.isEmpty || !expired.isEmpty else { return PruneReport() }

        // Keep whatever has a kept descendant (a stored block above an expired header stays
        // reachable): children come after parents, so a backward pass settles each parent after
        // all its children.
        var keep = [Bool](repeating: true, count: records.count)
        for index in records.indices where root[index] >= 0 {
            let branch = root[index]
            if stale.contains(branch) || (expired.contains(branch) && records[index].status != .stored) {
                keep[index] = false
            }
        }
        for index in records.indices.reversed() where keep[index] && index > 0 {
            keep[records[index].parentIndex] = true
        }
        var report = PruneReport()
        for hash in watching {
            if let index = indexByHash[hash], !keep[index], withheldBranches.contains(root[index]) {
                report.withheld.insert(hash)
            }
        }
        var removedStale = Set<Int>()
        var removedExpired = Set<Int>()
        for index in records.indices where !keep[index] {
            if stale.contains(root[index]) { removedStale.insert(root[index]) } else { removedExpired.insert(root[index]) }
        }
        report.staleBranches = removedStale.count
        report.expiredBranches = removedExpired.count
        report.removedHeaders = keep.lazy.filter { !$0 }.count
        report.bestChainChange = compact(removing: keep.map { !$0 }, keepingCapacity: false)
        return report
    }

    // MARK: Eviction at the side-branch cap

    /// Makes room under ``ChainConfiguration/maxSideBranchHeaders`` by evicting whole side branches
    /// (off both chains) that hold no stored block, least recently extended first, until a quarter
    /// of the cap is free (so a stream of new headers costs one pass per quarter of the cap, not one
    /// per header). The branch that holds `protected` (the parent of the header being added) is never
    /// evicted: an honest fork that is overtaking keeps its headers while older spam goes.
    mutating func evictUnbackedSideBranches(protecting protected: Int) {
        let (root, summaries) = branches { isActive($0) || isBest($0) }
        let protectedBranch = root[protected]
        let candidates = summaries.filter { $0.key != protectedBranch && !$0.value.hasStoredBlock }
            .sorted { ($0.value.lastActivity, $0.key) < ($1.value.lastActivity, $1.key) }
        let goal = max(maxSideBranchHeaders / 4, 1)
        var evicted = Set<Int>()
        var freed = 0
        for (branch, summary) in candidates where freed < goal {
            evicted.insert(branch)
            freed += summary.count
        }
        guard !evicted.isEmpty else { return }
        evictedHeaderCount += freed
        // The room is for new headers: the storage keeps its size instead of shrinking and regrowing.
        _ = compact(removing: root.map { $0 >= 0 && evicted.contains($0) }, keepingCapacity: true)
    }

    // MARK: Compaction

    /// Rebuilds the storage without the records marked in `removing` (closed under descendants, never
    /// an active-chain record): records keep their order, indices are renumbered, the hash index is
    /// rebuilt. If best-header-chain records went, the best header becomes the most-work record left.
    ///
    /// - Parameter keepingCapacity: keep room for as many records as before (eviction, which makes
    ///   room for headers about to come), or shrink to what is left (pruning, which returns memory).
    /// - Returns: how the best header chain moved, if it did.
    mutating func compact(removing: [Bool], keepingCapacity: Bool) -> ChainChange? {
        var newIndex = [Int](repeating: -1, count: records.count)
        var kept = [HeaderRecord]()
        let keptCount = removing.lazy.filter { !$0 }.count
        let capacity = keepingCapacity ? records.count : keptCount
        kept.reserveCapacity(capacity)
        for index in records.indices where !removing[index] {
            var record = records[index]
            if record.parentIndex >= 0 { record.parentIndex = newIndex[record.parentIndex] }
            newIndex[index] = kept.count
            kept.append(record)
        }
        let oldBestHashes = bestChain.map { records[$0].hash }
        let keptBestPrefix = bestChain.prefix { !removing[$0] }.map { newIndex[$0] }
        records = kept
        var index = [Hash256: Int](minimumCapacity: capacity)
        for (position, record) in kept.enumerated() { index[record.hash] = position }
        indexByHash = index
        activeChain = activeChain.map { newIndex[$0] }
        var unlinked = [Int: [Int]]()
        for (parent, children) in unlinkedChildren where newIndex[parent] >= 0 {
            let remaining = children.map { newIndex[$0] }.filter { $0 >= 0 }
            if !remaining.isEmpty { unlinked[newIndex[parent]] = remaining }
        }
        unlinkedChildren = unlinked
        guard keptBestPrefix.count < oldBestHashes.count else {
            bestChain = keptBestPrefix
            return nil
        }
        // The removed part of the best header chain is gone; the most-work record left leads.
        bestChain = keptBestPrefix
        setBest(bestRecordIndex { $0.status != .failed })
        bestLotteryAnchor = nil
        let forkHeight = keptBestPrefix.count - 1
        return ChainChange(
            forkHash: oldBestHashes[forkHeight], forkHeight: forkHeight,
            disconnected: oldBestHashes[(forkHeight + 1)...].reversed(),
            connected: bestChain[(forkHeight + 1)...].map { records[$0].hash })
    }
}

/// What ``HeaderTree/prune(now:watching:)`` removed.
public struct PruneReport: Sendable, Equatable {
    /// Records removed.
    public var removedHeaders = 0
    /// Branches whose headers were removed because nobody delivered their blocks in time.
    public var expiredBranches = 0
    /// Branches removed because they fell far behind the active tip.
    public var staleBranches = 0
    /// Watched headers removed with an expired branch that had more work than the active tip: the
    /// peers that claimed them announced blocks they did not deliver.
    public var withheld: Set<Hash256> = []
    /// How the best header chain moved when part of it expired.
    public var bestChainChange: ChainChange?

    /// A report of nothing removed.
    public init() {}
}
