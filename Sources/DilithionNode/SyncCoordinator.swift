import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Headers-first sync, block download, stall handling, branch expiry and block announcements
/// (DESIGN.md "Components of the node").
///
/// - One headers-sync peer at a time asks `getheaders` with our locator and continues from the
///   last header of every full (2,000) reply; announcements (`inv`, one-header `headers`) from any
///   peer trigger `getheaders` to that peer, as on the C++ node. `getheaders` is answered from the
///   active chain only.
/// - Blocks are downloaded and taken in by the ``BlockDownload`` component: each peer is asked for
///   the blocks toward the best header it is known to have, if that has more work than the active
///   tip; received blocks are validated (large ones off the dispatcher) and committed in batches
///   during initial block download.
/// - A block counts only after the store committed it; when the active tip moves it is announced
///   (`headers` to peers that asked with `sendheaders`/`sendcmpct`, `inv` otherwise), out of
///   initial block download, to peers that do not have it. A switch of branch is logged and counted.
/// - Maintenance (``tick(now:)``): stallers are disconnected; a silent headers-sync peer is
///   replaced; side branches are pruned, and peers that announced a branch nobody delivered are
///   penalised (``WithheldBranchStrikes``).
/// - Out of initial block download, each address may make us process only so many headers
///   (``HeadersBudget``): free headers cannot buy our CPU either.
///
/// Threads: called on the dispatcher thread (messages, peer events, ticks) and from RPC threads
/// (`generate`, statistics). All mutable state is guarded by ``lock``, which is never held while
/// calling the chain, the network, the logger or ``downloads``: the coordinator's lock is a leaf,
/// and the node may call it with its own lock released. ``downloads`` owns its state under its own
/// locks.
final class SyncCoordinator: @unchecked Sendable {
    let chain: ChainState
    let network: any SyncNetwork
    let clock: any EngineClock
    /// Unix seconds, mock-aware (chain times, branch expiry, strikes).
    let wallTime: @Sendable () -> Int64
    let settings: SyncSettings
    let logger: Logger

    let lock = PThreadMutex()
    // guarded by lock
    var peers: [PeerID: SyncPeer] = [:]
    var headersSyncPeer: PeerID?
    /// Headers sync stopped at the cap on headers above the active tip; resumed as blocks arrive.
    var headersSyncPaused = false
    var lastMaintenance: EngineInstant?
    var lastPrune: EngineInstant?
    /// The active tip last announced to peers.
    var lastAnnouncedTip: ChainTip
    /// Branch claims of peers that left (their withholding is judged when the branch expires).
    var departedClaims = DepartedClaims()
    var strikes = WithheldBranchStrikes()
    var headersBudget = HeadersBudget()
    /// Outcomes of legacy `headers` messages waiting for the dispatcher, per peer, oldest first.
    var legacyResults: [PeerID: [ProcessedHeaders]] = [:]
    /// Pushes new tips to the peers that asked for that (the ``CompactRelay``); set once before
    /// the engine starts, read-only afterwards.
    weak var newTipPush: (any NewTipPush)?

    /// Block requests, intake, validation and commits (its own locks).
    let downloads: BlockDownload
    /// The legacy header pipeline over ``chain`` (nil on VDF networks); set once in `init`.
    private(set) var legacyPipeline: HeaderBatchPipeline?

    /// - Parameter legacyHashing: the hashing service for legacy (RandomX) headers, on networks that
    ///   have them; the coordinator runs the pipeline over it and stops it in ``stop()``.
    init(
        chain: ChainState, network: any SyncNetwork, clock: any EngineClock, wallTime: @escaping @Sendable () -> Int64,
        settings: SyncSettings = SyncSettings(), logger: Logger, legacyHashing: HeaderHashingService? = nil
    ) {
        self.chain = chain
        self.network = network
        self.clock = clock
        self.wallTime = wallTime
        self.settings = settings
        self.logger = logger
        downloads = BlockDownload(chain: chain, network: network, clock: clock, wallTime: wallTime, settings: settings, logger: logger)
        lastAnnouncedTip = chain.tip
        if let legacyHashing {
            let sink = ChainStateHeaderSink(chain: chain, wallTime: wallTime) { [weak self] change in
                self?.activeChainMoved(change)
            }
            legacyPipeline = HeaderBatchPipeline(service: legacyHashing, sink: sink)
        }
    }

    var nowMilliseconds: Int64 { Int64(clock.now.nanoseconds / 1_000_000) }

    /// Whether a peer with this user agent serves more than the C++ node's 32 blocks in flight:
    /// this implementation does (its block server streams requests in order under the send cap),
    /// so its pipeline may grow to fill a long link. Every other peer is held to 32 (PROTOCOL.md §6).
    /// A peer that claims this and then sits on requests is a staller like any other.
    static func pipelinesDeeply(userAgent: String) -> Bool {
        userAgent.hasPrefix("/dilithion-swift:")
    }

    // MARK: Peer lifecycle

    /// A peer completed the handshake: track it for downloads and start headers sync if it claims
    /// more than we have.
    func peerEstablished(_ peer: PeerID, version: VersionMessage, host: String) {
        let deep = Self.pipelinesDeeply(userAgent: version.userAgent)
        lock.withLock {
            peers[peer] = SyncPeer(id: peer, host: host, pipelinesDeeply: deep, knownHeight: version.startHeight)
        }
        downloads.peerConnected(peer, pipelinesDeeply: deep)
        startSync(with: peer, claimedHeight: version.startHeight)
    }

    /// A peer left: its requests go back to the pool; a branch it claimed is remembered until it
    /// is either delivered or expires.
    func peerLeft(_ peer: PeerID) {
        downloads.peerLeft(peer)
        let claim: (host: String, hash: Hash256)? = lock.withLock {
            if headersSyncPeer == peer { headersSyncPeer = nil }
            guard let left = peers.removeValue(forKey: peer), let hash = left.knownHash else { return nil }
            return (left.host, hash)
        }
        cancelLegacyHeaders(of: peer)
        if let claim, !chain.isOnActiveChain(claim.hash) {
            let now = wallTime()
            lock.withLock { departedClaims.add(peer: peer, host: claim.host, hash: claim.hash, at: now) }
        }
        // With its blocks no longer in flight, a staged batch may be due.
        blocksProcessed(downloads.drain())
        requestWork()
    }

    /// The peer asked for `headers` announcements (`sendheaders`, or `sendcmpct` in any mode: we
    /// build no compact blocks, and the C++ node treats a `headers` announcement like a
    /// low-bandwidth compact one).
    func peerWantsHeaders(_ peer: PeerID) {
        lock.withLock { peers[peer]?.wantsHeaders = true }
    }

    /// Stops handing out requests, commits every block received and validated, and stops the
    /// hashing and validation workers (shutdown).
    func stop() {
        blocksProcessed(downloads.stop())
        legacyPipeline?.service.stop()
    }

    // MARK: Queries (any thread)

    /// What `getpeerinfo` and eviction read about `peer`; nil before its handshake.
    func facts(for peer: PeerID) -> SyncPeerFacts? {
        let hashing = legacyHashing(of: peer)
        let inFlight = downloads.inFlight(for: peer)
        return lock.withLock {
            peers[peer].map {
                SyncPeerFacts(
                    knownHeight: $0.knownHeight, blocksInFlight: inFlight.count, blocksInFlightLimit: inFlight.limit,
                    lastBlockAt: $0.lastBlockAt, legacyHashing: hashing)
            }
        }
    }

    /// What `getpeerinfo` reads, for every established peer.
    func allFacts() -> [PeerID: SyncPeerFacts] {
        let ids = lock.withLock { Array(peers.keys) }
        // The hashing service's lock is taken with the coordinator's released (it is a leaf).
        let hashing = Dictionary(uniqueKeysWithValues: ids.compactMap { id in legacyHashing(of: id).map { (id, $0) } })
        let inFlight = Dictionary(uniqueKeysWithValues: ids.map { ($0, downloads.inFlight(for: $0)) })
        return lock.withLock {
            peers.mapValues {
                SyncPeerFacts(
                    knownHeight: $0.knownHeight, blocksInFlight: inFlight[$0.id]?.count ?? 0,
                    blocksInFlightLimit: inFlight[$0.id]?.limit ?? 0, lastBlockAt: $0.lastBlockAt,
                    legacyHashing: hashing[$0.id])
            }
        }
    }

    /// Peers that delivered a block within `window` before `now` (eviction protects them).
    func peersThatDeliveredBlocks(since now: EngineInstant, within window: Duration) -> Set<PeerID> {
        lock.withLock {
            Set(peers.values.filter { $0.lastBlockAt.map { now.duration(since: $0) < window } ?? false }.map(\.id))
        }
    }

    /// Blocks stored per second, recent average.
    var blocksPerSecond: Double { downloads.rate.blocksPerSecond }

    /// True while the active tip is older than a day (``ChainState/isInitialBlockDownload(now:)``).
    var isInitialBlockDownload: Bool { chain.isInitialBlockDownload(now: wallTime()) }
}
