import DilithionWire

/// Every valid header we know, in memory, with its height, cumulative work and status, and the
/// best chain (most work; ties to the first seen, except for the VDF lottery of PROTOCOL.md §4.6).
///
/// A value type with no locks and no clock: time comes in as a parameter (`now`, seconds since the
/// Unix epoch). ``ChainState`` wraps it for concurrent use and rebuilds it from the store at start.
///
/// Memory is bounded: headers that do not connect are never kept, at most
/// ``ChainConfiguration/maxSideBranchHeaders`` headers lie outside the best chain, and forks
/// branching below the last checkpoint the best chain passed are refused; the best chain itself costs real work.
public struct HeaderTree: Sendable {
    /// All headers in insertion (first-seen) order; a parent always precedes its children.
    private(set) var records: [HeaderRecord]
    private(set) var indexByHash: [Hash256: Int]
    /// Indices of the best chain by height; `activeChain.last` is the best header.
    private(set) var activeChain: [Int]
    /// When and at which height the current tip height was first reached by extension (the VDF
    /// lottery's grace clock, anchored to the first block at that height like the C++ node).
    private var lotteryAnchor: (height: Int, time: Int64)?
    /// `CompactTarget.blockWork` is a 256-bit computation; chains reuse a handful of `nBits`.
    private var workByBits: [UInt32: ChainWork] = [:]

    let checkpoints: Checkpoints
    private let maxSideBranchHeaders: Int
    let difficulty: DifficultyRule
    let versions: HeaderVersionRule
    let timestamps: TimestampRule
    let maxFutureBlockTimeSeconds: Int64
    private let lotteryActivationHeight: Int
    private let lotteryGracePeriodSeconds: Int64

    /// A tree holding only `genesis` (trusted: it comes from the network parameters).
    public init(genesis: BlockHeader, genesisHash: Hash256, configuration: ChainConfiguration) {
        checkpoints = configuration.checkpoints
        maxSideBranchHeaders = configuration.maxSideBranchHeaders
        difficulty = configuration.difficulty
        versions = configuration.versions
        timestamps = configuration.timestamps
        maxFutureBlockTimeSeconds = configuration.maxFutureBlockTimeSeconds
        lotteryActivationHeight = configuration.vdfLotteryActivationHeight
        lotteryGracePeriodSeconds = configuration.vdfLotteryGracePeriodSeconds
        let work = CompactTarget(bits: genesis.bits).blockWork
        records = [
            HeaderRecord(
                hash: genesisHash, header: genesis, height: 0, chainWork: work, status: .headerOnly,
                parentIndex: -1)
        ]
        indexByHash = [genesisHash: 0]
        activeChain = [0]
        workByBits[genesis.bits] = work
    }

    // MARK: Queries

    /// Number of headers in the tree (all branches, including failed ones).
    public var count: Int { records.count }

    /// Headers outside the best chain (the quantity capped against spam).
    public var sideBranchCount: Int { records.count - activeChain.count }

    /// The genesis record.
    public var genesis: HeaderRecord { records[0] }

    /// The best header (tip of the best chain).
    public var bestTip: HeaderRecord { records[activeChain[activeChain.count - 1]] }

    /// Height of the best header.
    public var bestHeight: Int { activeChain.count - 1 }

    /// The record for `hash` on any branch.
    public func record(for hash: Hash256) -> HeaderRecord? {
        indexByHash[hash].map { records[$0] }
    }

    /// The best-chain record at `height`.
    public func record(atHeight height: Int) -> HeaderRecord? {
        guard height >= 0, height < activeChain.count else { return nil }
        return records[activeChain[height]]
    }

    /// True when `hash` is on the best chain.
    public func isOnBestChain(_ hash: Hash256) -> Bool {
        guard let index = indexByHash[hash] else { return false }
        return isActive(index)
    }

    func isActive(_ index: Int) -> Bool {
        let height = records[index].height
        return height < activeChain.count && activeChain[height] == index
    }

    /// The highest best-chain ancestor of `index` (itself if it is on the best chain).
    func forkPoint(of index: Int) -> Int {
        var cursor = index
        while !isActive(cursor) { cursor = records[cursor].parentIndex }
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

    // MARK: Insertion

    /// Adds a header whose hash the caller computed (``HeaderValidation/hash(_:legacyHasher:)``,
    /// kept outside so that RandomX runs outside any lock), after the contextual checks: known
    /// parent that is not failed, then ``checkContext(_:hash:height:parentIndex:now:)`` (layout,
    /// proof of work, `nBits`, timestamps, checkpoints), and the spam bounds.
    ///
    /// - Returns: whether it was new and how the best chain moved.
    /// - Throws: ``ChainRejection``; a refused header is never kept, so the caller only has to
    ///   penalise the sender by the rejection's points.
    public mutating func insert(
        _ header: BlockHeader, hash: Hash256, now: Int64
    ) throws(ChainRejection) -> HeaderInsertion {
        if let existing = indexByHash[hash] {
            if records[existing].status == .failed { throw .knownInvalid(hash) }
            // Sent again: the sender claims the branch, so it may compete again.
            let change = records[existing].status == .unavailable ? reactivate(existing) : nil
            return HeaderInsertion(isNew: false, height: records[existing].height, bestChainChange: change)
        }
        guard let parentIndex = indexByHash[header.previousBlockHash] else {
            throw .unknownParent(header.previousBlockHash)
        }
        if records[parentIndex].status == .unavailable { _ = reactivate(parentIndex) }
        let parent = records[parentIndex]
        if parent.status == .failed { throw .invalidParent(parent.hash) }
        let height = parent.height + 1

        try checkContext(header, hash: hash, height: height, parentIndex: parentIndex, now: now)

        let work = parent.chainWork + blockWork(bits: header.bits)
        let tip = bestTip
        let winsOnWork = tip.chainWork < work
        let winsLottery = !winsOnWork && lotteryReplacesTip(header, parentIndex: parentIndex, work: work, now: now)
        if !winsOnWork, !winsLottery, sideBranchCount >= maxSideBranchHeaders {
            throw .tooManySideBranchHeaders(limit: maxSideBranchHeaders)
        }

        let index = records.count
        records.append(
            HeaderRecord(
                hash: hash, header: header, height: height, chainWork: work, status: .headerOnly,
                parentIndex: parentIndex))
        indexByHash[hash] = index
        guard winsOnWork || winsLottery else {
            return HeaderInsertion(isNew: true, height: height, bestChainChange: nil)
        }
        let extendsTip = parentIndex == activeChain[activeChain.count - 1]
        let oldTip = tip.hash
        setBest(index)
        if extendsTip, header.isVDF, height >= lotteryActivationHeight {
            lotteryAnchor = (height, now)
        }
        return HeaderInsertion(isNew: true, height: height, bestChainChange: change(from: oldTip))
    }

    /// The VDF lottery (PROTOCOL.md §4.6, C++ `ShouldReplaceVDFTip`): a sibling of the tip (same
    /// parent, same height, both v ≥ 4, height ≥ activation) with equal work and a lower non-zero
    /// `vdfOutput`, arriving at most the grace period after the first block at that height was
    /// accepted as tip.
    private func lotteryReplacesTip(_ header: BlockHeader, parentIndex: Int, work: ChainWork, now: Int64) -> Bool {
        let tip = bestTip
        guard tip.parentIndex == parentIndex, tip.height >= lotteryActivationHeight,
            header.isVDF, tip.header.isVDF, !(work < tip.chainWork),
            !header.vdfOutput.isZero, !tip.header.vdfOutput.isZero,
            header.vdfOutput < tip.header.vdfOutput,
            let anchor = lotteryAnchor, anchor.height == tip.height
        else { return false }
        return now - anchor.time <= lotteryGracePeriodSeconds
    }

    private mutating func blockWork(bits: UInt32) -> ChainWork {
        if let cached = workByBits[bits] { return cached }
        let work = CompactTarget(bits: bits).blockWork
        if workByBits.count < 64 { workByBits[bits] = work }
        return work
    }

    /// Makes `index` the best header, rewriting the active chain above the fork point.
    private mutating func setBest(_ index: Int) {
        var path = [Int]()
        var cursor = index
        while !isActive(cursor) {
            path.append(cursor)
            cursor = records[cursor].parentIndex
        }
        activeChain.removeSubrange((records[cursor].height + 1)...)
        activeChain.append(contentsOf: path.reversed())
    }

    /// How the best chain differs from a chain whose tip was `oldTip` (nil when it is the same tip).
    public func change(from oldTip: Hash256) -> BestChainChange? {
        guard let oldIndex = indexByHash[oldTip], oldIndex != activeChain[activeChain.count - 1] else { return nil }
        let fork = forkPoint(of: oldIndex)
        var disconnected = [Hash256]()
        var cursor = oldIndex
        while cursor != fork {
            disconnected.append(records[cursor].hash)
            cursor = records[cursor].parentIndex
        }
        let forkHeight = records[fork].height
        let connected = activeChain[(forkHeight + 1)...].map { records[$0].hash }
        return BestChainChange(
            forkHash: records[fork].hash, forkHeight: forkHeight, disconnected: disconnected, connected: connected)
    }

    // MARK: Status

    /// Records that the block of `hash` is stored. Returns false when the hash is unknown or failed.
    @discardableResult
    public mutating func markStored(_ hash: Hash256) -> Bool {
        guard let index = indexByHash[hash], records[index].status != .failed else { return false }
        records[index].status = .stored
        return true
    }

    /// Marks `hash` and all its descendants failed; if the best chain contained it, the best
    /// remaining header (most work, first seen on ties) becomes the tip.
    ///
    /// - Returns: the best-chain change, if any. Genesis cannot be failed.
    @discardableResult
    public mutating func markFailed(_ hash: Hash256) -> BestChainChange? {
        guard let index = indexByHash[hash], index != 0 else { return nil }
        let oldTip = bestTip.hash
        records[index].status = .failed
        // Parents precede children, so one forward pass reaches every descendant.
        for later in (index + 1)..<records.count where records[records[later].parentIndex].status == .failed {
            records[later].status = .failed
        }
        guard bestTip.status == .failed else { return nil }
        setBest(bestCompetingRecord())
        lotteryAnchor = nil
        return change(from: oldTip)
    }
}

extension HeaderTree {
    /// Demotes the header-only branch from `hash` (it and its descendants become
    /// ``HeaderStatus/unavailable``); if the best chain ran through it, the best remaining header
    /// becomes the tip. Refused (nil) for genesis, for a header that is not header-only, and when a
    /// block below it is stored (then somebody did serve the branch).
    @discardableResult
    public mutating func markUnavailable(_ hash: Hash256) -> BestChainChange? {
        guard let index = indexByHash[hash], index != 0, records[index].status == .headerOnly else { return nil }
        var branch = [index]
        var inBranch: Set<Int> = [index]
        // Parents precede children, so one forward pass reaches every descendant.
        for later in (index + 1)..<records.count where inBranch.contains(records[later].parentIndex) {
            if records[later].status == .stored { return nil }
            inBranch.insert(later)
            branch.append(later)
        }
        let oldTip = bestTip.hash
        for member in branch where records[member].status == .headerOnly { records[member].status = .unavailable }
        guard bestTip.status == .unavailable else { return nil }
        setBest(bestCompetingRecord())
        lotteryAnchor = nil
        return change(from: oldTip)
    }

    /// Makes `hash` (an unavailable header, e.g. one whose block just arrived) compete again.
    @discardableResult
    public mutating func markAvailable(_ hash: Hash256) -> BestChainChange? {
        guard let index = indexByHash[hash], records[index].status == .unavailable else { return nil }
        return reactivate(index)
    }

    /// Returns `index` and its unavailable ancestors to header-only and lets it compete for best.
    mutating func reactivate(_ index: Int) -> BestChainChange? {
        var cursor = index
        while cursor > 0, records[cursor].status == .unavailable {
            records[cursor].status = .headerOnly
            cursor = records[cursor].parentIndex
        }
        guard bestTip.chainWork < records[index].chainWork else { return nil }
        let oldTip = bestTip.hash
        setBest(index)
        lotteryAnchor = nil
        return change(from: oldTip)
    }

    /// The record with the most work that may be the best header (not failed, not unavailable);
    /// the first seen on ties.
    func bestCompetingRecord() -> Int {
        var best = 0
        for candidate in records.indices where records[candidate].status != .failed && records[candidate].status != .unavailable {
            if records[best].chainWork < records[candidate].chainWork { best = candidate }
        }
        return best
    }

    /// Height of the highest best-chain ancestor of `hash` (its own height when on the best chain).
    func forkHeight(of hash: Hash256) -> Int? {
        indexByHash[hash].map { records[forkPoint(of: $0)].height }
    }

    /// Forgets the VDF lottery's grace clock (after a rebuild, whose insertion times mean nothing).
    mutating func resetLotteryClock() { lotteryAnchor = nil }
}
