import DilithionWire

/// The chain's write path: headers placed in the tree, blocks admitted, validated, staged into a
/// ``BlockWriteBatch`` and committed, and the active chain moved by each commit. ``ChainState``
/// keeps the queries and forwards its write calls here.
///
/// Threads: any. Its state (``stagedHashes``, ``storedOutsideTree``) is guarded by the chain's
/// lock (``ChainState/lock``), like the tree itself: whether a block is staged or stored is decided
/// in one critical section with the tree. Hashing and body validation run outside the lock; the
/// commit's store write too (the tree moves only after it returned).
final class ChainWriter: @unchecked Sendable {
    unowned let chain: ChainState
    /// Blocks validated and placed, waiting in a caller's ``BlockWriteBatch`` for their commit: not
    /// downloaded again, not validated again, not stored yet.
    var stagedHashes = Set<Hash256>()  // guarded by chain.lock
    /// Stored blocks whose headers are not in the tree (their parents were not stored at start-up,
    /// e.g. after a salvaging reindex); marked stored as soon as their headers arrive again.
    var storedOutsideTree: Set<Hash256>  // guarded by chain.lock

    init(chain: ChainState, storedOutsideTree: Set<Hash256>) {
        self.chain = chain
        self.storedOutsideTree = storedOutsideTree
    }

    // MARK: Headers

    /// Adds headers in order, stopping at the first refused one (earlier ones stay). A header more
    /// than ``ChainConfiguration/maxHeadersAheadOfTip`` above the active tip is refused
    /// (``ChainRejection/tooFarAheadOfTip(limit:)``, 0 points) until blocks catch up. Headers move
    /// the best header chain only; the active chain moves when blocks are stored.
    ///
    /// - Parameter now: the current time in seconds since the Unix epoch (future-time limit, VDF
    ///   lottery, branch expiry).
    func acceptHeaders(_ headers: [BlockHeader], now: Int64) -> HeadersAcceptance {
        var hashes = [Hash256]()
        hashes.reserveCapacity(headers.count)
        var hashRejection: ChainRejection?
        for header in headers {
            do {
                hashes.append(try HeaderValidation.hash(header, legacyHasher: chain.configuration.legacyHasher))
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
    func acceptHeaders(_ headers: [BlockHeader], hashes: [Hash256], now: Int64) -> HeadersAcceptance {
        insertHashed(Array(headers.prefix(hashes.count)), hashes: hashes, hashRejection: nil, now: now)
    }

    private func insertHashed(
        _ headers: [BlockHeader], hashes: [Hash256], hashRejection: ChainRejection?, now: Int64
    ) -> HeadersAcceptance {
        chain.lock.withLock {
            let oldBest = chain.tree.bestTip.hash
            let oldActive = chain.tree.activeTip.hash
            var accepted = 0
            var rejection = hashRejection
            let heightLimit = chain.tree.activeHeight + chain.configuration.maxHeadersAheadOfTip
            for (header, hash) in zip(headers, hashes) {
                do throws(ChainRejection) {
                    if let parent = chain.tree.record(for: header.previousBlockHash), parent.height >= heightLimit,
                        chain.tree.record(for: hash) == nil
                    {
                        throw .tooFarAheadOfTip(limit: chain.configuration.maxHeadersAheadOfTip)
                    }
                    let insertion = try chain.tree.insert(header, hash: hash, now: now)
                    if insertion.isNew {
                        accepted += 1
                        if storedOutsideTree.remove(hash) != nil { chain.tree.markStored(hash, now: now) }
                    }
                } catch {
                    rejection = error
                    break
                }
            }
            let activeChange = chain.tree.indexByHash[oldActive].flatMap { chain.tree.change(from: $0, along: chain.tree.activeChain) }
            chain.noteActiveChainChange(activeChange)
            let last = hashes.count == headers.count ? hashes.last.flatMap { chain.tree.record(for: $0) } : nil
            return HeadersAcceptance(
                acceptedCount: accepted, bestHeader: ChainState.position(chain.tree.bestTip),
                bestChainChange: chain.tree.change(from: oldBest), activeChainChange: activeChange, rejection: rejection,
                lastHeader: last.map(ChainState.position))
        }
    }

    // MARK: Blocks (admission, validation, staging, commit)

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
    ///     kept in the store for serving (``BlockWriter/insert(hash:height:message:payloadChecksum:)``).
    /// - Throws: only store failures (I/O, disk full), never because of the block's contents.
    func acceptBlock(
        _ message: BlockMessage, now: Int64, expectedHash: Hash256? = nil, requested: Bool = true,
        knownHash: Hash256? = nil, payloadChecksum: PayloadChecksum? = nil
    ) throws(BlockStoreError) -> BlockAcceptance {
        let hash: Hash256
        if let knownHash {
            hash = knownHash
        } else {
            do {
                hash = try HeaderValidation.hash(message.header, legacyHasher: chain.configuration.legacyHasher)
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
            try BlockValidation.check(message, legacyHasher: chain.configuration.legacyHasher)
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
    func admitBlock(_ message: BlockMessage, hash: Hash256, requested: Bool) -> BlockAdmission {
        chain.lock.withLock {
            if stagedHashes.contains(hash) { return .alreadyHave(hash: hash) }
            let known = chain.tree.record(for: hash)
            switch known?.status {
            case .stored: return .alreadyHave(hash: hash)
            case .failed: return .rejected(.knownInvalid(hash))
            case .headerOnly:
                if !requested, !isDownloadCandidate(hash) { return .rejected(.lowWorkBlock) }
            case nil:
                if chain.tree.record(for: message.header.previousBlockHash) == nil { return .unrequestedOrphan(hash: hash) }
            }
            return .validate(headerKnown: known != nil)
        }
    }

    /// Stages an admitted block whose body was validated (`validation`, from
    /// ``BlockValidation/check(_:expectedHash:legacyHasher:)`` on any thread) into `batch`: its
    /// header is placed in the tree and the block waits there for ``commit(_:now:)``. Returns nil
    /// when staged; else why not: `.rejected` when the body failed (a failure that proves the header
    /// invalid marks a known header failed) or the header cannot be placed, `.alreadyHave` when the
    /// block was staged or stored meanwhile (a second copy validated beside the first).
    func stage(
        _ message: BlockMessage, hash: Hash256, validation: Result<Void, ChainRejection>, headerKnown: Bool, now: Int64,
        payloadChecksum: PayloadChecksum?, into batch: inout BlockWriteBatch
    ) -> BlockAcceptance? {
        if case .failure(let error) = validation {
            if error.invalidatesHeader, headerKnown {
                chain.lock.withLock { _ = chain.tree.markFailed(hash) }
            }
            return .rejected(error)
        }
        let placed: Result<Int, ChainRejection>? = chain.lock.withLock {
            if stagedHashes.contains(hash) || chain.tree.record(for: hash)?.status == .stored { return nil }
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
    func commit(_ batch: BlockWriteBatch, now: Int64) throws(BlockStoreError) -> [CommittedBlock] {
        try commit(batch, now: now, beforeCommit: nil)
    }

    /// ``commit(_:now:)`` with the store's hook inside the transaction (the crash tests).
    func commit(_ batch: BlockWriteBatch, now: Int64, beforeCommit: (() throws -> Void)?) throws(BlockStoreError) -> [CommittedBlock] {
        guard !batch.isEmpty else { return [] }
        do {
            try chain.store.writer.insert(batch.blocks, beforeCommit: beforeCommit)
        } catch {
            chain.lock.withLock { for block in batch.blocks { stagedHashes.remove(block.hash) } }
            throw error
        }
        return chain.lock.withLock {
            batch.blocks.map { block in
                stagedHashes.remove(block.hash)
                let change = chain.tree.markStored(block.hash, now: now)
                chain.noteActiveChainChange(change)
                return CommittedBlock(hash: block.hash, height: block.height, activeChainChange: change)
            }
        }
    }

    /// The height of the block's header in the tree, inserting it first when it is new and its
    /// branch may compete with the active chain. Caller holds ``lock``.
    private func place(_ header: BlockHeader, hash: Hash256, now: Int64) -> Result<Int, ChainRejection> {
        if let record = chain.tree.record(for: hash) { return .success(record.height) }
        guard let parent = chain.tree.record(for: header.previousBlockHash) else {
            return .failure(.unknownParent(header.previousBlockHash))
        }
        let work = parent.chainWork + CompactTarget(bits: header.bits).blockWork
        if work < chain.tree.activeTip.chainWork { return .failure(.lowWorkBlock) }
        if parent.height >= chain.tree.activeHeight + chain.configuration.maxHeadersAheadOfTip {
            return .failure(.tooFarAheadOfTip(limit: chain.configuration.maxHeadersAheadOfTip))
        }
        do throws(ChainRejection) {
            return .success(try chain.tree.insert(header, hash: hash, now: now).height)
        } catch {
            return .failure(error)
        }
    }

    /// Whether an unrequested block for the known header `hash` is worth storing: its branch could
    /// become the active chain. Caller holds ``lock``.
    private func isDownloadCandidate(_ hash: Hash256) -> Bool {
        guard let record = chain.tree.record(for: hash) else { return false }
        let active = chain.tree.activeTip.chainWork
        if !(record.chainWork < active) { return true }
        return chain.tree.isOnBestChain(hash) && active < chain.tree.bestTip.chainWork
    }

    // MARK: Generated blocks (regtest and legacy generators)

    /// Appends `count` blocks on the tip, made by `makeBlock(parent, height, time)` with each time
    /// `interval` seconds after its parent's, each accepted with its own time as `now` (the
    /// generators' common loop).
    ///
    /// - Returns: the new blocks' hashes, lowest first.
    func appendGenerated(
        count: Int, interval: UInt32, makeBlock: (Hash256, Int, UInt32) -> BlockMessage
    ) throws(RegtestGeneratorError) -> [Hash256] {
        var parent = chain.tip
        guard var time = chain.record(for: parent.hash)?.header.time else { return [] }
        var hashes = [Hash256]()
        hashes.reserveCapacity(max(count, 0))
        for _ in 0..<max(count, 0) {
            let height = parent.height + 1
            time += interval
            let outcome: BlockAcceptance
            do {
                outcome = try acceptBlock(makeBlock(parent.hash, height, time), now: Int64(time))
            } catch {
                throw .store(error)
            }
            guard case .stored(let hash, _, _) = outcome else { throw .refused(height: height, outcome: outcome) }
            hashes.append(hash)
            parent = ChainTip(hash: hash, height: height)
        }
        return hashes
    }
}
