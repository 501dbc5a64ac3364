import DilithionWire

extension ChainState {
    /// Validates and stores a block, and moves the active chain when the block completes a branch
    /// with more work than the active tip (or a sibling that wins the VDF lottery).
    ///
    /// Which blocks are stored (Bitcoin Core's `AcceptBlock`): a requested one whose header is
    /// known; an unrequested one only when its branch is a candidate for the active chain: at least
    /// the active tip's work, or on the best header chain while that has more work than the active
    /// tip. A block whose header is new is placed in the tree first (so an announced block needs no
    /// separate `headers`), unless that would start or extend a branch with less work than the
    /// active tip (``ChainRejection/lowWorkBlock``, 0 points) or lie beyond the cap on headers above
    /// the active tip. Body failures that prove the header invalid mark it and its descendants failed.
    ///
    /// - Parameters:
    ///   - expectedHash: the hash that was requested, if any; another block is refused.
    ///   - now: the current time in seconds since the Unix epoch.
    ///   - requested: whether the node asked a peer for this block (local callers: true).
    ///   - knownHash: the header's hash when the caller already has it (a legacy header from the
    ///     replay cache: RandomX is not run again); computed here otherwise.
    ///   - payloadChecksum: the frame checksum the block's payload was verified against on receipt,
    ///     kept in the store for serving (``BlockStore/insert(hash:height:message:payloadChecksum:)``).
    /// - Throws: only store failures (I/O, disk full), never because of the block's contents.
    public func acceptBlock(
        _ message: BlockMessage, now: Int64, expectedHash: Hash256? = nil, requested: Bool = true,
        knownHash: Hash256? = nil, payloadChecksum: PayloadChecksum? = nil
    ) throws(BlockStoreError) -> BlockAcceptance {
        let hash: Hash256
        if let knownHash {
            hash = knownHash
        } else {
            do {
                hash = try HeaderValidation.hash(message.header, legacyHasher: configuration.legacyHasher)
            } catch {
                return .rejected(error)
            }
        }
        if let expectedHash, expectedHash != hash {
            return .rejected(.unexpectedBlock(expected: expectedHash, received: hash))
        }
        let known: HeaderRecord? = lock.withLock { tree.record(for: hash) }
        switch known?.status {
        case .stored: return .alreadyHave(hash: hash)
        case .failed: return .rejected(.knownInvalid(hash))
        case .headerOnly:
            if !requested, !lock.withLock({ isDownloadCandidate(hash) }) { return .rejected(.lowWorkBlock) }
        case nil:
            if lock.withLock({ tree.record(for: message.header.previousBlockHash) }) == nil {
                return .unrequestedOrphan(hash: hash)
            }
        }

        do {
            _ = try BlockValidation.validate(message, legacyHasher: configuration.legacyHasher)
        } catch {
            if error.invalidatesHeader, known != nil {
                lock.withLock { _ = tree.markFailed(hash) }
            }
            return .rejected(error)
        }

        let placed: Result<Int, ChainRejection> = lock.withLock { place(message.header, hash: hash, now: now) }
        let height: Int
        switch placed {
        case .failure(let rejection): return .rejected(rejection)
        case .success(let placedHeight): height = placedHeight
        }

        try store.insert(hash: hash, height: height, message: message, payloadChecksum: payloadChecksum)
        let change: ChainChange? = lock.withLock {
            let change = tree.markStored(hash, now: now)
            noteActiveChainChange(change)
            return change
        }
        return .stored(hash: hash, height: height, activeChainChange: change)
    }

    /// The height of the block's header in the tree, inserting it first when it is new and its
    /// branch may compete with the active chain. Caller holds ``lock``.
    private func place(_ header: BlockHeader, hash: Hash256, now: Int64) -> Result<Int, ChainRejection> {
        if let record = tree.record(for: hash) { return .success(record.height) }
        guard let parent = tree.record(for: header.previousBlockHash) else {
            return .failure(.unknownParent(header.previousBlockHash))
        }
        let work = parent.chainWork + CompactTarget(bits: header.bits).blockWork
        if work < tree.activeTip.chainWork { return .failure(.lowWorkBlock) }
        if parent.height >= tree.activeHeight + configuration.maxHeadersAheadOfTip {
            return .failure(.tooFarAheadOfTip(limit: configuration.maxHeadersAheadOfTip))
        }
        do throws(ChainRejection) {
            return .success(try tree.insert(header, hash: hash, now: now).height)
        } catch {
            return .failure(error)
        }
    }

    /// Whether an unrequested block for the known header `hash` is worth storing: its branch could
    /// become the active chain. Caller holds ``lock``.
    private func isDownloadCandidate(_ hash: Hash256) -> Bool {
        guard let record = tree.record(for: hash) else { return false }
        let active = tree.activeTip.chainWork
        if !(record.chainWork < active) { return true }
        return tree.isOnBestChain(hash) && active < tree.bestTip.chainWork
    }
}
