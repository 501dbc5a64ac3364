import DilithionWire

/// The storage under a ``HeaderTree``: every record in one array addressed by index (parents before
/// children), a hash index, the two chains as arrays of indices by height, and the stored blocks
/// still waiting for their parent. It knows the shape of the tree (ancestry, fork points, paths,
/// branches) and how to remove records and renumber the rest; it knows no rule: what a valid header
/// is, which chain wins and what gets pruned are the tree's and ``BranchPruning``'s decisions.
///
/// A value type with no locks, owned by the tree (and through it by ``ChainState``'s lock).
struct HeaderGraph: Sendable {
    /// All headers in insertion (first-seen) order; a parent always precedes its children.
    var records: [HeaderRecord]
    var indexByHash: [Hash256: Int]
    /// Indices of the best header chain by height; `bestChain.last` is the best header.
    var bestChain: [Int]
    /// Indices of the active chain by height; `activeChain.last` is the active tip.
    var activeChain: [Int]
    /// Stored blocks whose parent is not linked yet (out-of-order delivery), by parent index.
    var unlinkedChildren: [Int: [Int]] = [:]

    /// A graph of one record (genesis) on both chains.
    init(genesis: HeaderRecord) {
        records = [genesis]
        indexByHash = [genesis.hash: 0]
        bestChain = [0]
        activeChain = [0]
    }

    // MARK: The two chains

    var bestTipIndex: Int { bestChain[bestChain.count - 1] }
    var activeTipIndex: Int { activeChain[activeChain.count - 1] }

    func isBest(_ index: Int) -> Bool { isOn(bestChain, index) }

    func isActive(_ index: Int) -> Bool { isOn(activeChain, index) }

    /// True when the record at `index` is on `chain` (indices by height).
    private func isOn(_ chain: [Int], _ index: Int) -> Bool {
        let height = records[index].height
        return height < chain.count && chain[height] == index
    }

    /// The height up to which the best header chain and the active chain agree. They share a prefix:
    /// once they differ at a height they differ above it (a block has one parent).
    var commonHeight: Int {
        var low = 0  // agree here (genesis)
        var high = min(bestChain.count, activeChain.count) - 1
        if bestChain[high] == activeChain[high] { return high }
        while high - low > 1 {  // invariant: agree at low, differ at high
            let middle = (low + high) / 2
            if bestChain[middle] == activeChain[middle] { low = middle } else { high = middle }
        }
        return low
    }

    /// Makes `index` the best header, rewriting the best header chain above the fork point.
    mutating func routeBest(to index: Int) { Self.reroute(&bestChain, to: index, records: records) }

    /// Makes `index` the active tip, rewriting the active chain above the fork point.
    mutating func routeActive(to index: Int) { Self.reroute(&activeChain, to: index, records: records) }

    /// Rewrites `chain` (indices by height) so that it ends at `index`: the part above the fork
    /// point is replaced by the path to `index`.
    private static func reroute(_ chain: inout [Int], to index: Int, records: [HeaderRecord]) {
        var path = [Int]()
        var cursor = index
        while !(records[cursor].height < chain.count && chain[records[cursor].height] == cursor) {
            path.append(cursor)
            cursor = records[cursor].parentIndex
        }
        chain.removeSubrange((records[cursor].height + 1)...)
        chain.append(contentsOf: path.reversed())
    }

    /// How `chain` differs from the chain whose tip was the record at `oldIndex` (nil when it is the
    /// same tip).
    func change(from oldIndex: Int, along chain: [Int]) -> ChainChange? {
        guard oldIndex != chain[chain.count - 1] else { return nil }
        var disconnected = [Hash256]()
        var cursor = oldIndex
        while !isOn(chain, cursor) {
            disconnected.append(records[cursor].hash)
            cursor = records[cursor].parentIndex
        }
        let forkHeight = records[cursor].height
        let connected = chain[(forkHeight + 1)...].map { records[$0].hash }
        return ChainChange(
            forkHash: records[cursor].hash, forkHeight: forkHeight, disconnected: disconnected, connected: connected)
    }

    /// The record with the most work among those `eligible`, the first seen on ties (genesis when
    /// none is).
    func bestRecordIndex(where eligible: (HeaderRecord) -> Bool) -> Int {
        var best = 0
        for candidate in records.indices where eligible(records[candidate]) {
            if records[best].chainWork < records[candidate].chainWork { best = candidate }
        }
        return best
    }

    // MARK: Ancestry

    /// The highest active-chain ancestor of `index` (itself if it is on the active chain).
    func activeForkPoint(of index: Int) -> Int { forkPoint(of: index, on: activeChain, other: bestChain) }

    /// The highest best-header-chain ancestor of `index` (itself if it is on the best header chain).
    func bestForkPoint(of index: Int) -> Int { forkPoint(of: index, on: bestChain, other: activeChain) }

    /// The highest ancestor of `index` on `chain`. A branch that reaches `other` leaves it in one
    /// step: the two chains share their prefix up to ``commonHeight``.
    private func forkPoint(of index: Int, on chain: [Int], other: [Int]) -> Int {
        var cursor = index
        while !isOn(chain, cursor) {
            if isOn(other, cursor) { return chain[min(commonHeight, records[cursor].height)] }
            cursor = records[cursor].parentIndex
        }
        return cursor
    }

    /// The ancestor of `index` at `height` on its own branch (itself at its own height), or nil for
    /// a height above it. Walks parent links, jumping along either chain once the branch joins it,
    /// so the cost is the branch's length off the chains, not the height.
    func branchAncestor(of index: Int, atHeight height: Int) -> Int? {
        guard height >= 0, height <= records[index].height else { return nil }
        var cursor = index
        while records[cursor].height > height {
            if isBest(cursor) { return bestChain[height] }
            if isActive(cursor) { return activeChain[height] }
            cursor = records[cursor].parentIndex
        }
        return cursor
    }

    /// Median time past of the (up to) 11 headers ending at `index`.
    func medianTimePast(endingAt index: Int) -> UInt32 {
        var times = [UInt32]()
        times.reserveCapacity(HeaderValidation.medianTimeSpan)
        var cursor = index
        while cursor >= 0, times.count < HeaderValidation.medianTimeSpan {
            times.append(records[cursor].header.time)
            cursor = records[cursor].parentIndex
        }
        return HeaderValidation.medianTimePast(times)
    }

    /// The records on the path from the active chain to `target`, lowest first, at most `limit`
    /// of them above the fork point (stored ones included: the caller filters), and the fork
    /// point's height (Bitcoin Core's `FindNextBlocksToDownload`). The path is read from the best
    /// header chain where it runs along it, so the cost is the length of the part that does not
    /// (bounded by the side-branch cap), plus `limit`.
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

    // MARK: Branches and removal

    /// What one branch (a connected group of records off a chain, named by its lowest record)
    /// looks like to the pruning rules.
    struct BranchSummary {
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
    func branches(offChain onChain: (Int) -> Bool) -> (root: [Int], summaries: [Int: BranchSummary]) {
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

    /// Rebuilds the storage without the records marked in `removing` (closed under descendants, never
    /// an active-chain record): records keep their order, indices are renumbered, the hash index is
    /// rebuilt. If best-header-chain records went, the best header becomes the most-work record left
    /// that is not failed.
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
        bestChain = keptBestPrefix
        guard keptBestPrefix.count < oldBestHashes.count else { return nil }
        // The removed part of the best header chain is gone; the most-work record left leads.
        routeBest(to: bestRecordIndex { $0.status != .failed })
        let forkHeight = keptBestPrefix.count - 1
        return ChainChange(
            forkHash: oldBestHashes[forkHeight], forkHeight: forkHeight,
            disconnected: oldBestHashes[(forkHeight + 1)...].reversed(),
            connected: bestChain[(forkHeight + 1)...].map { records[$0].hash })
    }
}
