import DilithionWire

/// The node's chain: the block store plus the in-memory ``HeaderTree`` rebuilt from it at start,
/// safe to call from any thread.
///
/// Hashing (RandomX for legacy headers) and body validation run outside the lock; the tree is
/// touched only with ``lock`` held; store reads (``blockPayload(hash:)``) take no lock at all. The
/// tip (``tip``) is the highest block of the best header chain with every block up to it stored,
/// and it advances only after the block's write transaction committed.
public final class ChainState: @unchecked Sendable {
    /// Network parameters, checkpoints and limits in force.
    public let configuration: ChainConfiguration
    /// The block store (reads are safe from any thread).
    public let store: BlockStore
    /// What `--reindex` did, when the state was opened with it.
    public let reindexReport: ReindexReport?

    private let lock = ChainLock()
    private var tree: HeaderTree  // guarded by lock
    /// Highest best-chain block with all blocks up to it stored.
    private var storedTip: ChainTip  // guarded by lock
    /// Stored blocks whose headers are not in the tree (their parents were not stored at start-up);
    /// marked stored as soon as their headers arrive again.
    private var storedOutsideTree: Set<Hash256>  // guarded by lock

    /// Opens the store in `directory` (creating it, with the genesis block, when empty) and
    /// rebuilds the header tree from the stored blocks. With `reindex`, first rebuilds the store
    /// itself from every block that re-validates (``BlockStore/reindex(directory:network:legacyHasher:)``),
    /// and drops stored blocks whose headers fail the contextual checks.
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
        if try !store.contains(genesisHash) { try store.insert(hash: genesisHash, height: 0, message: genesis) }
        var tree = HeaderTree(genesis: genesis.header, genesisHash: genesisHash, configuration: configuration)
        tree.markStored(genesisHash)
        var outside = Set<Hash256>()
        // Stored headers were checked before they were stored; the clock check is moot here.
        let noClockLimit = Int64(UInt32.max)
        for stored in try store.storedHeaders() where stored.hash != genesisHash {
            do {
                _ = try tree.insert(stored.header, hash: stored.hash, now: noClockLimit)
                tree.markStored(stored.hash)
            } catch {
                if case .unknownParent = error {
                    outside.insert(stored.hash)
                } else if reindex {
                    try store.remove(hash: stored.hash)
                }
            }
        }
        tree.resetLotteryClock()
        self.tree = tree
        storedOutsideTree = outside
        storedTip = ChainTip(hash: genesisHash, height: 0)
        refreshStoredTip()
    }

    // MARK: Queries

    /// The highest best-chain block with every block up to it stored.
    public var tip: ChainTip { lock.withLock { storedTip } }

    /// The best header (may be ahead of ``tip`` while blocks download).
    public var bestHeader: ChainTip {
        lock.withLock {
            let best = tree.bestTip
            return ChainTip(hash: best.hash, height: best.height)
        }
    }

    /// The header record for `hash` on any branch.
    public func record(for hash: Hash256) -> HeaderRecord? { lock.withLock { tree.record(for: hash) } }

    /// The best-chain record at `height`.
    public func record(atHeight height: Int) -> HeaderRecord? { lock.withLock { tree.record(atHeight: height) } }

    /// A `getheaders` locator from the best header (PROTOCOL.md §3.6).
    public func locator() -> [Hash256] { lock.withLock { tree.locator() } }

    /// The headers to answer a peer's `getheaders` with (C++ serving rules, PROTOCOL.md §3.6).
    public func headersForPeer(locator: [Hash256], stop: Hash256) -> [BlockHeader] {
        lock.withLock { tree.headers(after: locator, stop: stop) }
    }

    /// The stored `block` payload for `hash` (for `getdata`), read without the chain lock.
    public func blockPayload(hash: Hash256) throws(BlockStoreError) -> [UInt8]? { try store.payload(for: hash) }

    /// Best-chain blocks above ``tip`` that are not stored, lowest first, at most `limit` heights
    /// above the tip (the download window).
    public func downloadCandidates(limit: Int) -> [DownloadCandidate] {
        lock.withLock {
            var result = [DownloadCandidate]()
            let end = min(tree.bestHeight, storedTip.height + max(limit, 0))
            guard end > storedTip.height else { return result }
            for height in (storedTip.height + 1)...end {
                guard let record = tree.record(atHeight: height), record.status == .headerOnly else { continue }
                result.append(DownloadCandidate(hash: record.hash, height: height))
            }
            return result
        }
    }

    /// Tip, best header, header counts and store totals.
    public func statistics() throws(BlockStoreError) -> ChainStatistics {
        let storeStatistics = try store.statistics()
        return lock.withLock {
            ChainStatistics(
                tip: storedTip, bestHeader: ChainTip(hash: tree.bestTip.hash, height: tree.bestTip.height),
                headerCount: tree.count, sideBranchHeaderCount: tree.sideBranchCount, store: storeStatistics)
        }
    }

    // MARK: Headers

    /// Adds headers in order, stopping at the first refused one (earlier ones stay). A header more
    /// than ``ChainConfiguration/maxHeadersAheadOfTip`` above the stored tip is refused
    /// (``ChainRejection/tooFarAheadOfTip(limit:)``, 0 points) until blocks catch up.
    ///
    /// - Parameter now: the current time in seconds since the Unix epoch (future-time limit, VDF lottery).
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
            var accepted = 0
            var rejection = hashRejection
            let heightLimit = storedTip.height + configuration.maxHeadersAheadOfTip
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
                        if storedOutsideTree.remove(hash) != nil { tree.markStored(hash) }
                    }
                } catch {
                    rejection = error
                    break
                }
            }
            refreshStoredTip()
            let best = tree.bestTip
            let last = hashes.count == headers.count ? hashes.last.flatMap { tree.record(for: $0) } : nil
            return HeadersAcceptance(
                acceptedCount: accepted, bestHeader: ChainTip(hash: best.hash, height: best.height),
                bestChainChange: tree.change(from: oldBest), rejection: rejection,
                lastHeader: last.map { ChainTip(hash: $0.hash, height: $0.height) })
        }
    }

    // MARK: Blocks

    /// Validates and stores a block.
    ///
    /// A block whose header is new is placed in the tree first (so an announced block needs no
    /// separate `headers`), unless it would start or extend a branch with less work than the best
    /// chain (``ChainRejection/lowWorkBlock``). Body failures that prove the header invalid mark it
    /// and its descendants failed.
    ///
    /// - Parameters:
    ///   - expectedHash: the hash that was requested, if any; another block is refused.
    ///   - now: the current time in seconds since the Unix epoch.
    /// - Throws: only store failures (I/O, disk full), never because of the block's contents.
    public func acceptBlock(
        _ message: BlockMessage, now: Int64, expectedHash: Hash256? = nil
    ) throws(BlockStoreError) -> BlockAcceptance {
        let hash: Hash256
        do {
            hash = try HeaderValidation.hash(message.header, legacyHasher: configuration.legacyHasher)
        } catch {
            return .rejected(error)
        }
        if let expectedHash, expectedHash != hash {
            return .rejected(.unexpectedBlock(expected: expectedHash, received: hash))
        }
        let known: HeaderRecord? = lock.withLock { tree.record(for: hash) }
        switch known?.status {
        case .stored: return .alreadyHave(hash: hash)
        case .failed: return .rejected(.knownInvalid(hash))
        case .headerOnly: break
        case .unavailable:
            // Somebody delivered it after all: the branch competes again.
            lock.withLock {
                tree.markAvailable(hash)
                refreshStoredTip()
            }
        case nil:
            if lock.withLock({ tree.record(for: message.header.previousBlockHash) }) == nil {
                return .unrequestedOrphan(hash: hash)
            }
        }

        do {
            _ = try BlockValidation.validate(message, legacyHasher: configuration.legacyHasher)
        } catch {
            if error.invalidatesHeader, known != nil {
                lock.withLock {
                    tree.markFailed(hash)
                    refreshStoredTip()
                }
            }
            return .rejected(error)
        }

        let placed: Result<(height: Int, change: BestChainChange?), ChainRejection> = lock.withLock {
            if let record = tree.record(for: hash) { return .success((record.height, nil)) }
            guard let parent = tree.record(for: message.header.previousBlockHash) else {
                return .failure(.unknownParent(message.header.previousBlockHash))
            }
            let work = parent.chainWork + CompactTarget(bits: message.header.bits).blockWork
            if work < tree.bestTip.chainWork { return .failure(.lowWorkBlock) }
            do throws(ChainRejection) {
                let insertion = try tree.insert(message.header, hash: hash, now: now)
                return .success((insertion.height, insertion.bestChainChange))
            } catch {
                return .failure(error)
            }
        }
        let height: Int
        let change: BestChainChange?
        switch placed {
        case .failure(let rejection): return .rejected(rejection)
        case .success(let placement): (height, change) = placement
        }

        try store.insert(hash: hash, height: height, message: message)
        lock.withLock {
            tree.markStored(hash)
            refreshStoredTip()
        }
        return .stored(hash: hash, height: height, bestChainChange: change)
    }

    // MARK: Unavailable branches

    /// Demotes the header-only branch starting at `hash`, whose block no connected peer could
    /// deliver, so that the best header chain falls back to branches that can be fetched (see
    /// ``HeaderStatus/unavailable``). Returns the best-chain change, nil when nothing changed.
    @discardableResult
    public func markUnavailable(_ hash: Hash256) -> BestChainChange? {
        lock.withLock {
            let change = tree.markUnavailable(hash)
            refreshStoredTip()
            return change
        }
    }

    /// True when `hash` is on the best header chain.
    public func isOnBestChain(_ hash: Hash256) -> Bool { lock.withLock { tree.isOnBestChain(hash) } }

    /// The height at which the branch of `hash` leaves the best chain (its own height when it is
    /// on it); nil for an unknown hash.
    public func forkHeight(of hash: Hash256) -> Int? { lock.withLock { tree.forkHeight(of: hash) } }

    // MARK: Tip

    /// Moves ``storedTip`` back to the best chain (after a reorg) and forward over stored blocks.
    private func refreshStoredTip() {
        var height = storedTip.height
        if !tree.isOnBestChain(storedTip.hash) {
            height = tree.forkHeight(of: storedTip.hash) ?? 0
        }
        height = min(height, tree.bestHeight)
        while let next = tree.record(atHeight: height + 1), next.status == .stored { height += 1 }
        // The walk back can land on a block that a failure just invalidated; step below it.
        while height > 0, tree.record(atHeight: height)?.status != .stored { height -= 1 }
        let record = tree.record(atHeight: height) ?? tree.genesis
        storedTip = ChainTip(hash: record.hash, height: record.height)
    }
}
