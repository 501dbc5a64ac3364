import DilithionWire

/// Receiving blocks: admission (cheap checks), validation (pure, any thread), staging into a
/// ``BlockWriteBatch`` and the commit that stores a batch in one transaction. ``acceptBlock(_:now:expectedHash:requested:knownHash:payloadChecksum:)``
/// runs all four for one block.
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
        let headerKnown: Bool
        switch admitBlock(message, hash: hash, requested: requested) {
        case .alreadyHave(let hash): return .alreadyHave(hash: hash)
        case .rejected(let rejection): return .rejected(rejection)
        case .unrequestedOrphan(let hash): return .unrequestedOrphan(hash: hash)
        case .validate(let known): headerKnown = known
        }
        var batch = BlockWriteBatch()
        let validation = Result { () throws(ChainRejection) in
            _ = try BlockValidation.validate(message, legacyHasher: configuration.legacyHasher)
        }
        if let notStaged = stage(
            message, hash: hash, validation: validation, headerKnown: headerKnown, now: now,
            payloadChecksum: payloadChecksum, into: &batch)
        {
            return notStaged
        }
        let stored = try commit(batch, now: now)
        return .stored(hash: hash, height: stored[0].height, activeChainChange: stored[0].activeChainChange)
    }

    /// The checks before validation, under the lock: a block stored or staged is already had; a
    /// known-invalid header is refused; an unrequested block must be a download candidate (known
    /// header) or have a known parent (new header).
    public func admitBlock(_ message: BlockMessage, hash: Hash256, requested: Bool) -> BlockAdmission {
        lock.withLock {
            if stagedHashes.contains(hash) { return .alreadyHave(hash: hash) }
            let known = tree.record(for: hash)
            switch known?.status {
            case .stored: return .alreadyHave(hash: hash)
            case .failed: return .rejected(.knownInvalid(hash))
            case .headerOnly:
                if !requested, !isDownloadCandidate(hash) { return .rejected(.lowWorkBlock) }
            case nil:
                if tree.record(for: message.header.previousBlockHash) == nil { return .unrequestedOrphan(hash: hash) }
            }
            return .validate(headerKnown: known != nil)
        }
    }

    /// Stages an admitted block whose body was validated (`validation`, from
    /// ``BlockValidation/validate(_:expectedHash:legacyHasher:)`` on any thread) into `batch`: its
    /// header is placed in the tree and the block waits there for ``commit(_:now:)``. Returns nil
    /// when staged; else why not: `.rejected` when the body failed (a failure that proves the header
    /// invalid marks a known header failed) or the header cannot be placed, `.alreadyHave` when the
    /// block was staged or stored meanwhile (a second copy validated beside the first).
    public func stage(
        _ message: BlockMessage, hash: Hash256, validation: Result<Void, ChainRejection>, headerKnown: Bool, now: Int64,
        payloadChecksum: PayloadChecksum?, into batch: inout BlockWriteBatch
    ) -> BlockAcceptance? {
        if case .failure(let error) = validation {
            if error.invalidatesHeader, headerKnown {
                lock.withLock { _ = tree.markFailed(hash) }
            }
            return .rejected(error)
        }
        let placed: Result<Int, ChainRejection>? = lock.withLock {
            if stagedHashes.contains(hash) || tree.record(for: hash)?.status == .stored { return nil }
            let placed = place(message.header, hash: hash, now: now)
            if case .success = placed { stagedHashes.insert(hash) }
            return placed
        }
        switch placed {
        case nil: return .alreadyHave(hash: hash)
        case .failure(let rejection): return .rejected(rejection)
        case .success(let height):
            batch.append(StagedBlock(hash: hash, height: height, message: message, payloadChecksum: payloadChecksum))
            return nil
        }
    }

    /// Stores every block of `batch` in one transaction, then marks them stored in the tree in their
    /// order, which moves the active tip: a block counts as stored (and is reported, served and
    /// announced) only once the transaction committed. On a store failure nothing of the batch is
    /// stored and its blocks may be downloaded again.
    ///
    /// - Returns: per block, in order, its height and how the active chain moved.
    @discardableResult
    public func commit(_ batch: BlockWriteBatch, now: Int64) throws(BlockStoreError) -> [CommittedBlock] {
        try commit(batch, now: now, beforeCommit: nil)
    }

    /// ``commit(_:now:)`` with the store's hook inside the transaction (the crash tests).
    func commit(_ batch: BlockWriteBatch, now: Int64, beforeCommit: (() throws -> Void)?) throws(BlockStoreError) -> [CommittedBlock] {
        guard !batch.isEmpty else { return [] }
        do {
            try store.insert(batch.blocks, beforeCommit: beforeCommit)
        } catch {
            lock.withLock { for block in batch.blocks { stagedHashes.remove(block.hash) } }
            throw error
        }
        return lock.withLock {
            batch.blocks.map { block in
                stagedHashes.remove(block.hash)
                let change = tree.markStored(block.hash, now: now)
                noteActiveChainChange(change)
                return CommittedBlock(hash: block.hash, height: block.height, activeChainChange: change)
            }
        }
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
