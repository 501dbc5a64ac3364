import DilithionWire

extension ChainState {
    /// Adds headers in order, stopping at the first refused one (earlier ones stay). A header more
    /// than ``ChainConfiguration/maxHeadersAheadOfTip`` above the active tip is refused
    /// (``ChainRejection/tooFarAheadOfTip(limit:)``, 0 points) until blocks catch up. Headers move
    /// the best header chain only; the active chain moves when blocks are stored.
    ///
    /// - Parameter now: the current time in seconds since the Unix epoch (future-time limit, VDF
    ///   lottery, branch expiry).
    public func acceptHeaders(_ headers: [BlockHeader], now: Int64) -> HeadersAcceptance {
        var hashes = [Hash256]()
        hashes.reserveCapacity(headers.count)
        var hashRejection: ChainRejection?
        for header in headers {
            do {
                hashes.append(try HeaderValidation.hash(header, legacyHasher: configuration.legacyHasher))
            } catch {
                hashRejection = error
                break
            }
        }
        return lock.withLock {
            let oldBest = tree.bestTip.hash
            let oldActive = tree.activeTip.hash
            var accepted = 0
            var rejection = hashRejection
            let heightLimit = tree.activeHeight + configuration.maxHeadersAheadOfTip
            for (header, hash) in zip(headers, hashes) {
                do throws(ChainRejection) {
                    if let parent = tree.record(for: header.previousBlockHash), parent.height >= heightLimit,
                        tree.record(for: hash) == nil
                    {
                        throw .tooFarAheadOfTip(limit: configuration.maxHeadersAheadOfTip)
                    }
                    let insertion = try tree.insert(header, hash: hash, now: now)
                    if insertion.isNew {
                        accepted += 1
                        if storedOutsideTree.remove(hash) != nil { tree.markStored(hash, now: now) }
                    }
                } catch {
                    rejection = error
                    break
                }
            }
            let activeChange = tree.indexByHash[oldActive].flatMap { tree.change(from: $0, along: tree.activeChain) }
            noteActiveChainChange(activeChange)
            let last = hashes.count == headers.count ? hashes.last.flatMap { tree.record(for: $0) } : nil
            return HeadersAcceptance(
                acceptedCount: accepted, bestHeader: Self.position(tree.bestTip),
                bestChainChange: tree.change(from: oldBest), activeChainChange: activeChange, rejection: rejection,
                lastHeader: last.map(Self.position))
        }
    }
}
