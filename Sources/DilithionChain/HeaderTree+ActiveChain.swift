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
        graph.records[index].status = .stored
        graph.records[index].storedAt = now
        let parent = records[index].parentIndex
        guard records[parent].isLinked else {
            graph.unlinkedChildren[parent, default: []].append(index)
            return nil
        }
        // Link it and every stored descendant that waited for it; keep the best of them.
        var best = index
        var pending = [index]
        while let next = pending.popLast() {
            graph.records[next].isLinked = true
            if records[best].chainWork < records[next].chainWork
                || (records[next].chainWork == records[best].chainWork && next < best)
            {
                best = next
            }
            for child in graph.unlinkedChildren.removeValue(forKey: next) ?? [] where records[child].status == .stored {
                pending.append(child)
            }
        }
        return activateIfBetter(best, now: now)
    }

    /// Moves the active chain to `candidate` (a linked record) when it has more work than the active
    /// tip, or equal work as a sibling that wins the lottery.
    private mutating func activateIfBetter(_ candidate: Int, now: Int64) -> ChainChange? {
        let tip = activeTip
        let record = records[candidate]
        if tip.chainWork < record.chainWork {
            return setActive(candidate, now: now)
        }
        guard record.chainWork == tip.chainWork, record.parentIndex == tip.parentIndex, record.height == tip.height,
            lotteryFavours(record.header, over: tip.header, height: tip.height, anchor: activeLotteryAnchor, now: now)
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
        let header = records[index].header
        if let change, !change.isReorg, header.isVDF, records[index].height >= lotteryActivationHeight {
            activeLotteryAnchor = LotteryAnchor(height: records[index].height, time: now)
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
        graph.records[index].status = .failed
        graph.records[index].isLinked = false
        // Parents precede children, so one forward pass reaches every descendant.
        for later in (index + 1)..<records.count where records[records[later].parentIndex].status == .failed {
            graph.records[later].status = .failed
            graph.records[later].isLinked = false
        }
        if activeTip.status == .failed {
            graph.routeActive(to: graph.bestRecordIndex { $0.isLinked })
            activeLotteryAnchor = nil
        }
        guard bestTip.status == .failed else { return nil }
        graph.routeBest(to: graph.bestRecordIndex { $0.status != .failed })
        bestLotteryAnchor = nil
        return graph.change(from: oldBest, along: bestChain)
    }

    /// Height at which the branch of `hash` leaves the active chain (its own height when it is on
    /// it); nil for an unknown hash.
    func activeForkHeight(of hash: Hash256) -> Int? {
        indexByHash[hash].map { records[graph.activeForkPoint(of: $0)].height }
    }
}
