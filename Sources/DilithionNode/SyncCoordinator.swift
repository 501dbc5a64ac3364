import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Sync (DESIGN.md "Components of the node"): the coordinator wires its components and routes peer
/// events, messages and ticks to them.
///
/// - ``HeadersSync``: the headers-sync peer, `headers` and `inv` receipt, `getheaders` answers,
///   the headers budget; legacy headers through its ``LegacyHeaderIntake``.
/// - ``BlockDownload``: block requests and intake (validation, batched commits); a block counts
///   only after the store committed it.
/// - ``TipAnnouncer``: announcements of the active tip and reorg reports.
/// - ``SideBranchPruner``: side branches pruned, peers that announced a branch nobody delivered
///   penalised (``WithheldBranchStrikes``).
/// - ``SyncPeers``: the established peers as all of them see them.
/// - The coordinator itself: what follows stored blocks (SyncCoordinator+Blocks.swift) and the
///   maintenance on the engine clock (stallers disconnected, the components' periodic work).
///
/// Threads: called on the dispatcher thread (messages, peer events, ticks) and from RPC threads
/// (`generate`, statistics). Each component owns its state under its own lock; ``lock`` guards
/// only the maintenance time below and is never held while calling the chain, the network, the
/// logger or a component, so the node may call the coordinator with its own lock released.
final class SyncCoordinator: @unchecked Sendable {
    let chain: ChainState
    let network: any SyncNetwork
    let clock: any EngineClock
    /// Unix seconds, mock-aware (chain times, branch expiry, strikes).
    let wallTime: @Sendable () -> Int64
    let settings: SyncSettings
    let logger: Logger

    /// The established peers (their own lock, a leaf).
    let peers = SyncPeers()
    /// Block requests, intake, validation and commits (its own locks).
    let downloads: BlockDownload
    /// The headers-sync peer, headers receipt and `getheaders` answers (its own lock).
    let headers: HeadersSync
    /// Tip announcements (its own lock).
    let announcer: TipAnnouncer
    /// Side-branch pruning and the withheld-branch policy (its own lock).
    let pruner: SideBranchPruner

    let lock = PThreadMutex()
    // guarded by lock
    var lastMaintenance: EngineInstant?

    /// - Parameter legacyHashing: the hashing service for legacy (RandomX) headers, on networks that
    ///   have them; ``HeadersSync`` runs the pipeline over it until ``stop()``.
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
        announcer = TipAnnouncer(chain: chain, network: network, wallTime: wallTime, logger: logger, peers: peers)
        headers = HeadersSync(
            chain: chain, network: network, clock: clock, wallTime: wallTime, settings: settings, logger: logger,
            peers: peers, downloads: downloads, announcer: announcer, legacyHashing: legacyHashing)
        pruner = SideBranchPruner(chain: chain, network: network, wallTime: wallTime, settings: settings, logger: logger, peers: peers)
    }

    /// Pushes new tips to the peers that asked for that (``TipAnnouncer/newTipPush``); set once
    /// before the engine starts.
    var newTipPush: (any NewTipPush)? {
        get { announcer.newTipPush }
        set { announcer.newTipPush = newValue }
    }

    // MARK: Peer lifecycle

    /// A peer completed the handshake: track it for downloads and start headers sync if it claims
    /// more than we have.
    func peerEstablished(_ peer: PeerID, version: VersionMessage, host: String) {
        let deep = SyncPeers.pipelinesDeeply(userAgent: version.userAgent)
        peers.update { $0[peer] = SyncPeer(id: peer, host: host, pipelinesDeeply: deep, knownHeight: version.startHeight) }
        downloads.peerConnected(peer, pipelinesDeeply: deep)
        headers.startSync(with: peer, claimedHeight: version.startHeight)
    }

    /// A peer left: its requests go back to the pool; a branch it claimed is remembered until it
    /// is either delivered or expires.
    func peerLeft(_ peer: PeerID) {
        downloads.peerLeft(peer)
        let claim: (host: String, hash: Hash256)? = peers.update { peers in
            guard let left = peers.removeValue(forKey: peer), let hash = left.knownHash else { return nil }
            return (left.host, hash)
        }
        headers.peerLeft(peer)
        if let claim { pruner.peerLeft(peer, host: claim.host, claiming: claim.hash) }
        // With its blocks no longer in flight, a staged batch may be due.
        blocksProcessed(downloads.drain())
        requestWork()
    }

    /// The peer asked for `headers` announcements (`sendheaders`, or `sendcmpct` in any mode: we
    /// build no compact blocks, and the C++ node treats a `headers` announcement like a
    /// low-bandwidth compact one).
    func peerWantsHeaders(_ peer: PeerID) {
        peers.update { $0[peer]?.wantsHeaders = true }
    }

    /// Stops handing out requests, commits every block received and validated, and stops the
    /// hashing and validation workers (shutdown).
    func stop() {
        blocksProcessed(downloads.stop())
        headers.stop()
    }

    // MARK: Queries (any thread)

    /// What `getpeerinfo` and eviction read about `peer`; nil before its handshake.
    func facts(for peer: PeerID) -> SyncPeerFacts? {
        peers.read { $0[peer] }.map(facts(of:))
    }

    /// What `getpeerinfo` reads, for every established peer.
    func allFacts() -> [PeerID: SyncPeerFacts] {
        peers.read { $0 }.mapValues(facts(of:))
    }

    /// A peer's facts from its snapshot, read with the table's lock released (the download and
    /// hashing locks are leaves too).
    private func facts(of state: SyncPeer) -> SyncPeerFacts {
        let inFlight = downloads.inFlight(for: state.id)
        return SyncPeerFacts(
            knownHeight: state.knownHeight, blocksInFlight: inFlight.count, blocksInFlightLimit: inFlight.limit,
            lastBlockAt: state.lastBlockAt, legacyHashing: headers.legacyHashing(of: state.id))
    }

    /// Peers that delivered a block within `window` before `now` (eviction protects them).
    func peersThatDeliveredBlocks(since now: EngineInstant, within window: Duration) -> Set<PeerID> {
        peers.read { peers in
            Set(peers.values.filter { $0.lastBlockAt.map { now.duration(since: $0) < window } ?? false }.map(\.id))
        }
    }

    /// Blocks stored per second, recent average.
    var blocksPerSecond: Double { downloads.rate.blocksPerSecond }

    /// True while the active tip is older than a day (``ChainState/isInitialBlockDownload(now:)``).
    var isInitialBlockDownload: Bool { chain.isInitialBlockDownload(now: wallTime()) }

    /// The legacy hashing counters of every peer together (``HeaderHashingService/statistics()``).
    var legacyHashingTotals: HashingStatistics? { headers.legacyHashingTotals }
}
