import DilithionWire

/// Status changes that ripple through the graph (stored blocks link waiting descendants, failures
/// fail descendants); which chain then wins is the tree's decision (HeaderTree+ActiveChain.swift).
extension HeaderGraph {
    /// Marks the header-only record at `index` stored at `now`. When its parent is linked, it and
    /// every stored descendant that waited for it become linked (out-of-order delivery).
    ///
    /// - Returns: the most-work record linked now (first seen on ties), nil while its parent is not
    ///   linked.
    mutating func store(_ index: Int, at now: Int64) -> Int? {
        records[index].status = .stored
        records[index].storedAt = now
        let parent = records[index].parentIndex
        guard records[parent].isLinked else {
            unlinkedChildren[parent, default: []].append(index)
            return nil
        }
        var best = index
        var pending = [index]
        while let next = pending.popLast() {
            records[next].isLinked = true
            if records[best].chainWork < records[next].chainWork
                || (records[next].chainWork == records[best].chainWork && next < best)
            {
                best = next
            }
            for child in unlinkedChildren.removeValue(forKey: next) ?? [] where records[child].status == .stored {
                pending.append(child)
            }
        }
        return best
    }

    /// Marks the record at `index` (not genesis) and all its descendants failed and unlinked; a
    /// chain whose tip failed falls back to the best record left for it (most work, first seen on
    /// ties: linked ones for the active chain).
    ///
    /// - Returns: which chains fell back.
    mutating func fail(_ index: Int) -> (active: Bool, best: Bool) {
        records[index].status = .failed
        records[index].isLinked = false
        // Parents precede children, so one forward pass reaches every descendant.
        for later in (index + 1)..<records.count where records[records[later].parentIndex].status == .failed {
            records[later].status = .failed
            records[later].isLinked = false
        }
        let activeFell = records[activeTipIndex].status == .failed
        if activeFell { routeActive(to: bestRecordIndex { $0.isLinked }) }
        let bestFell = records[bestTipIndex].status == .failed
        if bestFell { routeBest(to: bestRecordIndex { $0.status != .failed }) }
        return (activeFell, bestFell)
    }

    /// Forgets every record's insertion and storage time (after a rebuild from the store).
    mutating func forgetTimes() {
        for index in records.indices {
            records[index].insertedAt = 0
            records[index].storedAt = 0
        }
    }
}
