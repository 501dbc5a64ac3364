import DilithionWire

/// The node's chain: the block store plus the in-memory ``HeaderTree`` rebuilt from it at start,
/// safe to call from any thread.
///
/// Two tips (Bitcoin Core's model, docs/architecture.md "Chain state"): ``tip`` is the **active
/// tip**, the most-work block whose blocks down to genesis are all stored; it is what the node
/// reports and serves, and it moves only after a block's write transaction committed. ``bestHeader``
/// is the most-work header, which drives downloads and may be ahead of the tip or on another branch.
///
/// Parts: this type answers the queries (tips, records, locators, `getheaders` replies, download
/// plans, statistics) and prunes; the write path (headers and blocks in, staging, commits) is
/// ``ChainWriter``'s, reached through the forwarding calls of `ChainState+Blocks`; the store's
/// reads and writes are ``BlockStore/reader`` and ``BlockStore/writer``.
///
/// Hashing (RandomX for legacy headers) and body validation run outside the lock; the tree (and
/// the writer's staged set) is touched only with ``lock`` held; store reads
/// (``servingBlockFrame(hash:)``) take no lock at all. The chain lock is a leaf: nothing here
/// calls out while holding it.
public final class ChainState: @unchecked Sendable {
    /// Network parameters, checkpoints and limits in force.
    public let configuration: ChainConfiguration
    /// The block store (reads are safe from any thread).
    public let store: BlockStore
    /// What `--reindex` did, when the state was opened with it.
    public let reindexReport: ReindexReport?

    let lock = ChainLock()
    var tree: HeaderTree  // guarded by lock
    /// Active-chain switches of branch since start, blocks they disconnected, and the deepest.
    var reorgs = ReorgCounters()  // guarded by lock
    /// Headers removed by pruning since start.
    var prunedHeaderCount = 0  // guarded by lock
    /// Encoded `headers` replies, checked against the active chain on every use.
    var headersReplies = HeadersReplyCache()  // guarded by lock
    /// The write path (headers and blocks in); its state is guarded by ``lock`` too. Set once in
    /// init (it refers back to this state).
    private(set) var writer: ChainWriter!

    /// Opens the store in `directory` (creating it, with the genesis block, when empty) and
    /// rebuilds the header tree from the stored blocks. With `reindex`, first rebuilds the store
    /// itself from every block that still reads and re-validates
    /// (``BlockStore/reindex(directory:network:legacyHasher:)``), and drops stored blocks whose
    /// headers fail the contextual checks.
    public init(directory: String, configuration: ChainConfiguration, reindex: Bool = false) throws(BlockStoreError) {
        self.configuration = configuration
        let network = configuration.parameters.network
        reindexReport =
            reindex
            ? try BlockStore.reindex(directory: directory, network: network, legacyHasher: configuration.legacyHasher)
            : nil
        store = try BlockStore(directory: directory, network: network, fullSync: configuration.storeFullSync)

        let genesis = configuration.parameters.genesisBlock
        let genesisHash = configuration.parameters.genesisHash
        if try !store.reader.contains(genesisHash) { try store.writer.insert(hash: genesisHash, height: 0, message: genesis) }
        var tree = HeaderTree(genesis: genesis.header, genesisHash: genesisHash, configuration: configuration)
        var outside = Set<Hash256>()
        // Stored headers were checked before they were stored; the clock check is moot here.
        let noClockLimit = Int64(UInt32.max)
        for stored in try store.reader.storedHeaders() where stored.hash != genesisHash {
            do {
                _ = try tree.insert(stored.header, hash: stored.hash, now: noClockLimit)
                tree.markStored(stored.hash, now: noClockLimit)
            } catch {
                if case .unknownParent = error {
                    outside.insert(stored.hash)
                } else if reindex {
                    try store.writer.remove(hash: stored.hash)
                }
            }
        }
        tree.resetClocks()
        self.tree = tree
        writer = ChainWriter(chain: self, storedOutsideTree: outside)
    }

    // MARK: Queries

    /// The active tip: the most-work block with every block below it stored.
    public var tip: ChainTip { lock.withLock { Self.position(tree.activeTip) } }

    /// The best header (may be ahead of ``tip`` while blocks download, or on a branch whose blocks
    /// nobody delivered yet).
    public var bestHeader: ChainTip { lock.withLock { Self.position(tree.bestTip) } }

    /// The height to compare a peer's claimed height with when deciding whether to sync headers
    /// from it: the best header when its chain contains the active tip (our own headers sync is
    /// ahead), else the active tip (a header-only fork must not stop us asking honest peers).
    public var headersSyncHeight: Int {
        lock.withLock {
            tree.commonHeight == tree.activeHeight ? tree.bestHeight : tree.activeHeight
        }
    }

    /// The header record for `hash` on any branch.
    public func record(for hash: Hash256) -> HeaderRecord? { lock.withLock { tree.record(for: hash) } }

    /// The active-chain record at `height` (what RPC and announcements report).
    public func record(atHeight height: Int) -> HeaderRecord? { lock.withLock { tree.activeRecord(atHeight: height) } }

    /// The best-header-chain record at `height`.
    public func bestHeaderRecord(atHeight height: Int) -> HeaderRecord? {
        lock.withLock { tree.bestRecord(atHeight: height) }
    }

    /// True when `hash` is on the active chain.
    public func isOnActiveChain(_ hash: Hash256) -> Bool { lock.withLock { tree.isOnActiveChain(hash) } }

    /// True when `hash` is on the best header chain.
    public func isOnBestChain(_ hash: Hash256) -> Bool { lock.withLock { tree.isOnBestChain(hash) } }

    /// The height at which the branch of `hash` leaves the active chain (its own height when it is
    /// on it); nil for an unknown hash.
    public func activeForkHeight(of hash: Hash256) -> Int? { lock.withLock { tree.activeForkHeight(of: hash) } }

    /// A `getheaders` locator from the best header (PROTOCOL.md §3.6).
    public func locator() -> [Hash256] { lock.withLock { tree.locator() } }

    /// A `getheaders` locator from `hash` on its own branch (to continue after a full batch whose
    /// last header it is); from the best header when `hash` is unknown.
    public func locator(from hash: Hash256) -> [Hash256] {
        lock.withLock { tree.indexByHash[hash].map { tree.locator(from: $0) } ?? tree.locator() }
    }

    /// The headers to answer a peer's `getheaders` with: C++ serving rules (PROTOCOL.md §3.6) on the
    /// active chain, so only headers of stored blocks ever reach a peer.
    public func headersForPeer(locator: [Hash256], stop: Hash256) -> [BlockHeader] {
        lock.withLock { tree.headers(after: locator, stop: stop) }
    }

    /// The `headers` reply to a peer's `getheaders` as a finished frame (header with its checksum ‖
    /// payload): the headers of ``headersForPeer(locator:stop:)``, from ``HeadersReplyCache`` when
    /// the same run was encoded before and its blocks are still the active chain's. A cached reply
    /// is the cache's own array, so that sending it (`Engine.send(_: EncodedFrame, to:)`) encodes,
    /// hashes and copies nothing. Encoding and hashing a new run happen outside the lock.
    public func headersReplyForPeer(locator: [Hash256], stop: Hash256) -> EncodedFrame {
        let (cached, heights, lastHash, headers): (EncodedFrame?, Range<Int>, Hash256?, [BlockHeader]) =
            lock.withLock {
                let heights = tree.servingHeights(after: locator, stop: stop)
                guard let last = heights.last else { return (nil, heights, nil, []) }
                let lastHash = tree.activeHash(atHeight: last)
                if let reply = headersReplies.reply(for: heights, lastHash: lastHash) { return (reply, heights, lastHash, []) }
                return (nil, heights, lastHash, heights.map { tree.records[tree.activeChain[$0]].header })
            }
        if let cached { return cached }
        let payload = Message.headers(headers).encodePayload()
        let reply = payload.withUnsafeBytes { payload in
            EncodedFrame(
                magic: configuration.parameters.network.magic, command: Command.headers, payload: payload,
                checksum: SHA3.checksum(payload))
        }
        if let lastHash { lock.withLock { headersReplies.store(reply, for: heights, lastHash: lastHash) } }
        return reply
    }

    /// `headers` replies served from the cache and encoded afresh since start.
    public var headersReplyCounts: (cached: Int, encoded: Int) {
        lock.withLock { (headersReplies.hits, headersReplies.misses) }
    }

    /// The stored `block` payload for `hash`, read without the chain lock.
    public func blockPayload(hash: Hash256) throws(BlockStoreError) -> [UInt8]? { try store.reader.payload(for: hash) }

    /// The stored block `hash` as a finished `block` frame under its stored checksum (for
    /// `getdata`: served without hashing, and sent from this array without another copy), read
    /// without the chain lock.
    public func servingBlockFrame(hash: Hash256) throws(BlockStoreError) -> EncodedFrame? {
        try store.reader.servingFrame(for: hash)
    }

    /// True while the active tip is older than ``ChainConfiguration/maxTipAgeSeconds`` at `now`
    /// (seconds since the Unix epoch): the node is catching up and does not announce blocks.
    public func isInitialBlockDownload(now: Int64) -> Bool {
        let tipTime = lock.withLock { Int64(tree.activeTip.header.time) }
        return tipTime + configuration.maxTipAgeSeconds < now
    }

    /// Tip, best header, header counts, reorg and pruning counters and store totals.
    public func statistics() throws(BlockStoreError) -> ChainStatistics {
        let storeStatistics = try store.reader.statistics()
        return lock.withLock {
            ChainStatistics(
                tip: Self.position(tree.activeTip), bestHeader: Self.position(tree.bestTip),
                headerCount: tree.count, sideBranchHeaderCount: tree.sideBranchCount, reorgs: reorgs,
                prunedHeaderCount: prunedHeaderCount, evictedHeaderCount: tree.evictedHeaderCount,
                store: storeStatistics)
        }
    }

    // MARK: Pruning

    /// Prunes expired and stale side branches (``HeaderTree/prune(now:watching:)``) and frees their
    /// memory. Run it periodically; it scans the tree once.
    public func pruneSideBranches(now: Int64, watching: Set<Hash256> = []) -> PruneReport {
        let report = lock.withLock {
            let report = tree.prune(now: now, watching: watching)
            prunedHeaderCount += report.removedHeaders
            return report
        }
        if report.removedHeaders >= FreedMemory.worthTrimmingAfter { FreedMemory.release() }
        return report
    }

    static func position(_ record: HeaderRecord) -> ChainTip { ChainTip(hash: record.hash, height: record.height) }

    /// Counts an active-chain move. Caller holds ``lock``.
    func noteActiveChainChange(_ change: ChainChange?) {
        guard let change, change.isReorg else { return }
        reorgs.count += 1
        reorgs.disconnectedBlocks += change.disconnected.count
        reorgs.deepest = max(reorgs.deepest, change.disconnected.count)
    }
}
