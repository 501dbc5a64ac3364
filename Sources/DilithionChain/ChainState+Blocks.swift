import DilithionWire

/// The write path's public entry points: each forwards to the chain's ``ChainWriter`` (which holds
/// the full contract of every call), so that ``ChainState`` itself holds the queries.
extension ChainState {
    /// Adds headers in order, stopping at the first refused one (earlier ones stay); headers more
    /// than ``ChainConfiguration/maxHeadersAheadOfTip`` above the active tip are refused. Headers
    /// move the best header chain only. `now`: seconds since the Unix epoch.
    public func acceptHeaders(_ headers: [BlockHeader], now: Int64) -> HeadersAcceptance {
        writer.acceptHeaders(headers, now: now)
    }

    /// ``acceptHeaders(_:now:)`` for headers whose hashes the caller computed: `hashes[i]` is the
    /// hash of `headers[i]`; headers without a hash (a shorter `hashes`) are not looked at.
    public func acceptHeaders(_ headers: [BlockHeader], hashes: [Hash256], now: Int64) -> HeadersAcceptance {
        writer.acceptHeaders(headers, hashes: hashes, now: now)
    }

    /// The cheap checks of ``HeaderBatchPrecheck`` for `headers` against the tree as it is now (under
    /// the chain lock: a consistent view). `cachedHash` is called under the chain lock (lock order:
    /// chain, then the hashing service's).
    public func precheckHeaders(
        _ headers: [BlockHeader], with precheck: HeaderBatchPrecheck, cachedHash: (Hash256) -> Hash256?, now: Int64
    ) -> HeaderBatchPlan {
        lock.withLock { precheck.check(headers, against: tree, cachedHash: cachedHash, now: now) }
    }

    /// Validates and stores one block (admission, validation, staging and a commit of its own), and
    /// moves the active chain when the block completes a branch with more work than the active tip.
    /// Throws only store failures, never because of the block's contents.
    public func acceptBlock(
        _ message: BlockMessage, now: Int64, expectedHash: Hash256? = nil, requested: Bool = true,
        knownHash: Hash256? = nil, payloadChecksum: PayloadChecksum? = nil
    ) throws(BlockStoreError) -> BlockAcceptance {
        try writer.acceptBlock(
            message, now: now, expectedHash: expectedHash, requested: requested, knownHash: knownHash,
            payloadChecksum: payloadChecksum)
    }

    /// The checks before validation: stored or staged is already had, a known-invalid header is
    /// refused, an unrequested block must be a download candidate or have a known parent.
    public func admitBlock(_ message: BlockMessage, hash: Hash256, requested: Bool) -> BlockAdmission {
        writer.admitBlock(message, hash: hash, requested: requested)
    }

    /// Stages an admitted block whose body was validated (`validation`, from any thread) into
    /// `batch`; nil when staged, else why not.
    public func stage(
        _ message: BlockMessage, hash: Hash256, validation: Result<Void, ChainRejection>, headerKnown: Bool, now: Int64,
        payloadChecksum: PayloadChecksum?, into batch: inout BlockWriteBatch
    ) -> BlockAcceptance? {
        writer.stage(
            message, hash: hash, validation: validation, headerKnown: headerKnown, now: now,
            payloadChecksum: payloadChecksum, into: &batch)
    }

    /// Stores every block of `batch` in one transaction, then marks them stored in order (which
    /// moves the active tip). On a store failure nothing of the batch is stored.
    @discardableResult
    public func commit(_ batch: BlockWriteBatch, now: Int64) throws(BlockStoreError) -> [CommittedBlock] {
        try writer.commit(batch, now: now, beforeCommit: nil)
    }

    /// ``commit(_:now:)`` with the store's hook inside the transaction (the crash tests).
    func commit(_ batch: BlockWriteBatch, now: Int64, beforeCommit: (() throws -> Void)?) throws(BlockStoreError) -> [CommittedBlock] {
        try writer.commit(batch, now: now, beforeCommit: beforeCommit)
    }

    /// Appends `count` generated blocks on the tip (the regtest and legacy generators).
    func appendGenerated(
        count: Int, interval: UInt32, makeBlock: (Hash256, Int, UInt32) -> BlockMessage
    ) throws(RegtestGeneratorError) -> [Hash256] {
        try writer.appendGenerated(count: count, interval: interval, makeBlock: makeBlock)
    }
}
