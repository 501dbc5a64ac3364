import DilithionWire

/// Every valid header we know, in memory, with its height, cumulative work and status, and two
/// chains through them (Bitcoin Core's model):
///
/// - the **best header chain**: the most work among all headers (ties to the first seen, except for
///   the VDF lottery of PROTOCOL.md §4.6). It says what to download; it may run through headers whose
///   blocks nobody has.
/// - the **active chain**: the most work among headers whose block and every ancestor's block are
///   stored (``HeaderRecord/isLinked``), with the same lottery. It is what the node reports and
///   serves. It moves only when blocks are stored, so a header-only branch never moves it.
///
/// A value type with no locks and no clock: time comes in as a parameter (`now`, seconds since the
/// Unix epoch). ``ChainState`` wraps it for concurrent use and rebuilds it from the store at start.
///
/// Its parts: ``HeaderGraph`` stores the records and the two chains (an array addressed by index,
/// parents before children, and a hash index) and answers locators and `getheaders` runs;
/// ``BranchPruning`` decides what leaves the tree; ``VDFLottery`` breaks ties of equal work. The
/// tree itself holds the rules: which header is valid in its context (``checkContext(_:hash:height:parentIndex:now:)``),
/// which chain wins, and the clocks those rules read.
///
/// Memory is bounded: headers that do not connect are never kept, at most
/// ``ChainConfiguration/maxSideBranchHeaders`` headers lie off both chains (the oldest unbacked side
/// branches are evicted first when more arrive), branches whose blocks nobody delivers expire, and
/// forks branching below the last checkpoint the best header chain passed are refused. ``ChainState``
/// bounds headers above the active tip.
public struct HeaderTree: Sendable {
    /// The records and the two chains.
    var graph: HeaderGraph
    /// The tie-break of both chains and its grace clocks.
    var lottery: VDFLottery
    /// When the active tip last moved: delivery progress of the branch above it.
    var activeTipMovedAt: Int64 = 0
    /// Headers evicted so far to keep the side-branch cap (``BranchPruning/evictUnbackedSideBranches(_:protecting:)``).
    public internal(set) var evictedHeaderCount = 0
    private var blockWork = BlockWorkCache()

    let checkpoints: Checkpoints
    let pruning: BranchPruning
    let difficulty: DifficultyRule
    let versions: HeaderVersionRule
    let timestamps: TimestampRule
    let maxFutureBlockTimeSeconds: Int64

    /// A tree holding only `genesis` (trusted: it comes from the network parameters), stored and on
    /// both chains.
    public init(genesis: BlockHeader, genesisHash: Hash256, configuration: ChainConfiguration) {
        checkpoints = configuration.checkpoints
        pruning = BranchPruning(configuration: configuration)
        difficulty = configuration.difficulty
        versions = configuration.versions
        timestamps = configuration.timestamps
        maxFutureBlockTimeSeconds = configuration.maxFutureBlockTimeSeconds
        lottery = VDFLottery(configuration: configuration)
        let work = blockWork.work(bits: genesis.bits)
        graph = HeaderGraph(
            genesis: HeaderRecord(
                hash: genesisHash, header: genesis, height: 0, chainWork: work, status: .stored, isLinked: true,
                parentIndex: -1, insertedAt: 0, storedAt: 0))
    }

    // MARK: Queries

    /// Number of headers in the tree (all branches, including failed ones).
    public var count: Int { records.count }

    /// Headers on neither the best header chain nor the active chain (the quantity capped against
    /// spam).
    public var sideBranchCount: Int {
        records.count - (bestChain.count + activeChain.count - (commonHeight + 1))
    }

    /// The genesis record.
    public var genesis: HeaderRecord { records[0] }

    /// The best header (tip of the best header chain).
    public var bestTip: HeaderRecord { records[bestChain[bestChain.count - 1]] }

    /// Height of the best header.
    public var bestHeight: Int { bestChain.count - 1 }

    /// The active tip: the best block with every block below it stored.
    public var activeTip: HeaderRecord { records[activeChain[activeChain.count - 1]] }

    /// Height of the active tip.
    public var activeHeight: Int { activeChain.count - 1 }

    /// The record for `hash` on any branch.
    public func record(for hash: Hash256) -> HeaderRecord? {
        indexByHash[hash].map { records[$0] }
    }

    /// The best-header-chain record at `height`.
    public func bestRecord(atHeight height: Int) -> HeaderRecord? {
        guard height >= 0, height < bestChain.count else { return nil }
        return records[bestChain[height]]
    }

    /// The active-chain record at `height`.
    public func activeRecord(atHeight height: Int) -> HeaderRecord? {
        guard height >= 0, height < activeChain.count else { return nil }
        return records[activeChain[height]]
    }

    /// True when `hash` is on the best header chain.
    public func isOnBestChain(_ hash: Hash256) -> Bool {
        guard let index = indexByHash[hash] else { return false }
        return graph.isBest(index)
    }

    /// True when `hash` is on the active chain.
    public func isOnActiveChain(_ hash: Hash256) -> Bool {
        guard let index = indexByHash[hash] else { return false }
        return graph.isActive(index)
    }

    // MARK: Insertion

    /// Adds a header whose hash the caller computed (``HeaderValidation/hash(_:legacyHasher:)``,
    /// kept outside so that RandomX runs outside any lock), after the contextual checks: known
    /// parent that is not failed, then ``checkContext(_:hash:height:parentIndex:now:)`` (layout,
    /// proof of work, `nBits`, timestamps, checkpoints), and the side-branch cap (which evicts the
    /// oldest unbacked side branches before it refuses anything).
    ///
    /// A header can move the best header chain, never the active chain (only stored blocks do).
    ///
    /// - Returns: whether it was new and how the best header chain moved.
    /// - Throws: ``ChainRejection``; a refused header is never kept, so the caller only has to
    ///   penalise the sender by the rejection's points.
    public mutating func insert(
        _ header: BlockHeader, hash: Hash256, now: Int64
    ) throws(ChainRejection) -> HeaderInsertion {
        if let existing = indexByHash[hash] {
            if records[existing].status == .failed { throw .knownInvalid(hash) }
            return HeaderInsertion(isNew: false, height: records[existing].height, bestChainChange: nil)
        }
        guard var parentIndex = indexByHash[header.previousBlockHash] else {
            throw .unknownParent(header.previousBlockHash)
        }
        let parent = records[parentIndex]
        if parent.status == .failed { throw .invalidParent(parent.hash) }
        let height = parent.height + 1

        try checkContext(header, hash: hash, height: height, parentIndex: parentIndex, now: now)

        let work = parent.chainWork + blockWork.work(bits: header.bits)
        let winsOnWork = bestTip.chainWork < work
        let winsLottery =
            !winsOnWork && lottery.siblingWins(header, work: work, parentIndex: parentIndex, over: bestTip, anchor: lottery.best, now: now)
        if !winsOnWork, !winsLottery, sideBranchCount >= pruning.maxSideBranchHeaders {
            // Room is made from other branches, never from the one this header extends.
            evictedHeaderCount += pruning.evictUnbackedSideBranches(&graph, protecting: parentIndex)
            guard sideBranchCount < pruning.maxSideBranchHeaders else {
                throw .tooManySideBranchHeaders(limit: pruning.maxSideBranchHeaders)
            }
            parentIndex = indexByHash[header.previousBlockHash]!  // compaction renumbers records
        }

        let index = records.count
        graph.records.append(
            HeaderRecord(
                hash: hash, header: header, height: height, chainWork: work, status: .headerOnly, isLinked: false,
                parentIndex: parentIndex, insertedAt: now, storedAt: 0))
        graph.indexByHash[hash] = index
        guard winsOnWork || winsLottery else {
            return HeaderInsertion(isNew: true, height: height, bestChainChange: nil)
        }
        let oldTip = bestChain[bestChain.count - 1]
        let extendsTip = parentIndex == oldTip
        graph.routeBest(to: index)
        if extendsTip, let anchor = lottery.anchor(extendingTo: header, height: height, now: now) { lottery.best = anchor }
        return HeaderInsertion(isNew: true, height: height, bestChainChange: graph.change(from: oldTip, along: bestChain))
    }

    /// How the best header chain differs from a chain whose tip was `oldTip` (nil when it is the
    /// same tip or `oldTip` is unknown).
    public func change(from oldTip: Hash256) -> ChainChange? {
        indexByHash[oldTip].flatMap { graph.change(from: $0, along: bestChain) }
    }

    /// Removes the branches that fell far behind the active tip and the header-only part of branches
    /// whose blocks nobody delivered in time (``BranchPruning/prune(_:activeTipMovedAt:now:watching:)``);
    /// if the best header chain was such a branch, the best header falls back to the most-work header
    /// left and its lottery clock is forgotten.
    ///
    /// - Parameter watching: headers peers claimed to have; those removed with an expired branch
    ///   that had more work than the active tip (a branch the node would have downloaded, and
    ///   nobody delivered) come back in ``PruneReport/withheld``.
    public mutating func prune(now: Int64, watching: Set<Hash256> = []) -> PruneReport {
        let report = pruning.prune(&graph, activeTipMovedAt: activeTipMovedAt, now: now, watching: watching)
        if report.bestChainChange != nil { lottery.best = nil }
        return report
    }

    /// Forgets the VDF lottery's grace clocks and the branch activity times (after a rebuild from
    /// the store, whose insertion times mean nothing).
    mutating func resetClocks() {
        lottery.best = nil
        lottery.active = nil
        activeTipMovedAt = 0
        graph.forgetTimes()
    }
}
