import DilithionWire

/// The active chain: it moves only when a block is stored, to the most-work linked record (its
/// blocks and all its ancestors' blocks stored), or to a stored sibling of its tip that wins the VDF
/// lottery within the grace period (PROTOCOL.md §4.6). Never to a header-only branch, never backward.
extension HeaderTree {
    /// Records that the block of `hash` is stored (its write transaction committed) at `now`.
    ///
    /// When its parent is linked, it and every stored descendant waiting for it become linked
    /// (out-of-order delivery), and the active chain moves to the best of them if that has more
    /// work than the active tip or wins the lottery against it.
    ///
    /// - Returns: how the active chain moved, if it did. Nothing for an unknown, failed or already
    ///   stored hash.
    @discardableResult
    public mutating func markStored(_ hash: Hash256, now: Int64) -> ChainChange? {
        guard let index = indexByHash[hash], records[index].status == .headerOnly else { return nil }
        return graph.store(index, at: now).flatMap { activateIfBetter($0, now: now) }
    }

    /// Moves the active chain to `candidate` (a linked record) when it has more work than the active
    /// tip, or equal work as a sibling that wins the lottery.
    private mutating func activateIfBetter(_ candidate: Int, now: Int64) -> ChainChange? {
        let tip = activeTip
        let record = records[candidate]
        if tip.chainWork < record.chainWork {
            return setActive(candidate, now: now)
        }
        guard lottery.siblingWins(
            record.header, work: record.chainWork, parentIndex: record.parentIndex, over: tip, anchor: lottery.active, now: now)
        else { return nil }
        // A lottery replacement keeps the anchor of the first block at this height (C++ Case 2.5).
        return setActive(candidate, now: now)
    }

    /// Makes `index` the active tip. An extension (no block disconnected) starts the lottery's grace
    /// clock at the new tip's height, as the C++ node does when a block extends its tip.
    private mutating func setActive(_ index: Int, now: Int64) -> ChainChange? {
        let oldTip = graph.activeTipIndex
        graph.routeActive(to: index)
        let change = graph.change(from: oldTip, along: activeChain)
        activeTipMovedAt = now
        if let change, !change.isReorg, let anchor = lottery.anchor(extendingTo: records[index].header, height: records[index].height, now: now) {
            lottery.active = anchor
        }
        return change
    }

    /// Marks `hash` and all its descendants failed; if the best header chain contained it, the best
    /// remaining header (most work, first seen on ties) becomes the best header. Blocks are
    /// validated before they are stored, so a failed header is never on the active chain; if a
    /// caller fails a stored one anyway, the active chain falls back the same way.
    ///
    /// - Returns: the best-header-chain change, if any. Genesis cannot be failed.
    @discardableResult
    public mutating func markFailed(_ hash: Hash256) -> ChainChange? {
        guard let index = indexByHash[hash], index != 0 else { return nil }
        let oldBest = graph.bestTipIndex
        let fell = graph.fail(index)
        if fell.active { lottery.active = nil }
        guard fell.best else { return nil }
        lottery.best = nil
        return graph.change(from: oldBest, along: bestChain)
    }

    /// Height at which the branch of `hash` leaves the active chain (its own height when it is on
    /// it); nil for an unknown hash.
    func activeForkHeight(of hash: Hash256) -> Int? {
        indexByHash[hash].map { records[graph.activeForkPoint(of: $0)].height }
    }
}
