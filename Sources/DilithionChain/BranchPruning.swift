import DilithionWire

/// The rules that keep a ``HeaderTree`` small: side branches that fall far behind the active tip,
/// and branches whose blocks nobody delivered within ``ChainConfiguration/unbackedBranchLifetimeSeconds``,
/// leave the tree; when the side-branch cap is reached, the least recently extended branches without
/// a stored block are evicted first. Removed records are compacted away
/// (``HeaderGraph/compact(removing:keepingCapacity:)``), so the memory is returned, not kept as holes.
///
/// A *branch* is a connected group of records off a chain, named by its lowest record (the root,
/// whose parent is on the chain). Active-chain records are never pruned; a stored block's record is
/// pruned only with a stale branch (its block stays in the store and is still served).
///
/// Constants only: it acts on the graph it is handed, which the tree owns.
struct BranchPruning: Sendable {
    /// Most headers off both chains (``ChainConfiguration/maxSideBranchHeaders``).
    let maxSideBranchHeaders: Int
    /// How long a side branch may go without a block delivered (``ChainConfiguration/unbackedBranchLifetimeSeconds``).
    let unbackedBranchLifetimeSeconds: Int64
    /// How far behind the active tip a side branch is pruned (``ChainConfiguration/staleBranchDepth``).
    let staleBranchDepth: Int

    init(configuration: ChainConfiguration) {
        maxSideBranchHeaders = configuration.maxSideBranchHeaders
        unbackedBranchLifetimeSeconds = configuration.unbackedBranchLifetimeSeconds
        staleBranchDepth = configuration.staleBranchDepth
    }

    // MARK: Expiry and staleness

    /// Removes from `graph` the branches off the active chain that fell more than `staleBranchDepth`
    /// below the active tip, and the header-only part of branches with no block delivered for
    /// `unbackedBranchLifetimeSeconds` (counted from the branch's first header, its last stored block,
    /// or, for a branch growing on the active tip, `activeTipMovedAt`). See
    /// ``HeaderTree/prune(now:watching:)``.
    func prune(
        _ graph: inout HeaderGraph, activeTipMovedAt: Int64, now: Int64, watching: Set<Hash256>
    ) -> PruneReport {
        let (root, summaries) = graph.branches { graph.isActive($0) }
        let tipIndex = graph.activeTipIndex
        let tip = graph.records[tipIndex]
        var stale = Set<Int>()
        var expired = Set<Int>()
        var withheldBranches = Set<Int>()
        for (branch, summary) in summaries {
            if summary.highest + staleBranchDepth < tip.height {
                stale.insert(branch)
                continue
            }
            let growsOnTip = graph.records[branch].parentIndex == tipIndex
            let delivered = max(summary.lastStoredAt, growsOnTip ? activeTipMovedAt : 0)
            guard now - max(summary.lowestInsertedAt, delivered) > unbackedBranchLifetimeSeconds else { continue }
            expired.insert(branch)
            if tip.chainWork < summary.mostWork { withheldBranches.insert(branch) }
        }
        guard !stale.isEmpty || !expired.isEmpty else { return PruneReport() }

        // Keep whatever has a kept descendant (a stored block above an expired header stays
        // reachable): children come after parents, so a backward pass settles each parent after
        // all its children.
        var keep = [Bool](repeating: true, count: graph.records.count)
        for index in graph.records.indices where root[index] >= 0 {
            let branch = root[index]
            if stale.contains(branch) || (expired.contains(branch) && graph.records[index].status != .stored) {
                keep[index] = false
            }
        }
        for index in graph.records.indices.reversed() where keep[index] && index > 0 {
            keep[graph.records[index].parentIndex] = true
        }
        var report = PruneReport()
        for hash in watching {
            if let index = graph.indexByHash[hash], !keep[index], withheldBranches.contains(root[index]) {
                report.withheld.insert(hash)
            }
        }
        var removedStale = Set<Int>()
        var removedExpired = Set<Int>()
        for index in graph.records.indices where !keep[index] {
            if stale.contains(root[index]) { removedStale.insert(root[index]) } else { removedExpired.insert(root[index]) }
        }
        report.staleBranches = removedStale.count
        report.expiredBranches = removedExpired.count
        report.removedHeaders = keep.lazy.filter { !$0 }.count
        report.bestChainChange = graph.compact(removing: keep.map { !$0 }, keepingCapacity: false)
        return report
    }

    // MARK: Eviction at the side-branch cap

    /// Makes room under `maxSideBranchHeaders` by evicting whole side branches (off both chains) that
    /// hold no stored block, least recently extended first, until a quarter of the cap is free (so a
    /// stream of new headers costs one pass per quarter of the cap, not one per header). The branch
    /// that holds `protected` (the parent of the header being added) is never evicted: an honest fork
    /// that is overtaking keeps its headers while older spam goes.
    ///
    /// - Returns: the number of headers evicted.
    func evictUnbackedSideBranches(_ graph: inout HeaderGraph, protecting protected: Int) -> Int {
        let (root, summaries) = graph.branches { graph.isActive($0) || graph.isBest($0) }
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
        guard !evicted.isEmpty else { return 0 }
        // The room is for new headers: the storage keeps its size instead of shrinking and regrowing.
        // Nothing on either chain is removed, so the best header chain does not move.
        _ = graph.compact(removing: root.map { $0 >= 0 && evicted.contains($0) }, keepingCapacity: true)
        return freed
    }
}
