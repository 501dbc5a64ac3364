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
        return insertHashed(headers, hashes: hashes, hashRejection: hashRejection, now: now)
    }

    /// ``acceptHeaders(_:now:)`` for headers whose hashes the caller computed (the legacy header
    /// path hashes them on worker threads, ``HeaderBatchPrecheck`` first): `hashes[i]` is the hash
    /// of `headers[i]`; headers without a hash (a shorter `hashes`) are not looked at.
    public func acceptHeaders(_ headers: [BlockHeader], hashes: [Hash256], now: Int64) -> HeadersAcceptance {
        insertHashed(Array(headers.prefix(hashes.count)), hashes: hashes, hashRejection: nil, now: now)
    }

    /// The cheap checks of ``HeaderBatchPrecheck`` for `headers` against the tree as it is now (under
    /// the chain lock: a consistent view). `cachedHash` is called under the chain lock (lock order:
    /// chain, then the hashing service's).
    public func precheckHeaders(
        _ headers: [BlockHeader], with precheck: HeaderBatchPrecheck, cachedHash: (Hash256) -> Hash256?, now: Int64
    ) -> HeaderBatchPlan {
        lock.withLock { precheck.check(headers, against: tree, cachedHash: cachedHash, now: now) }
    }

    private func insertHashed(
        _ headers: [BlockHeader], hashes: [Hash256], hashRejection: ChainRejection?, now: Int64
    ) -> HeadersAcceptance {
        lock.withLock {
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
