import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Headers-first sync (DESIGN.md "Components of the node"): the choice of the headers-sync peer,
/// `headers` and `inv` receipt, and the answers to `getheaders`.
///
/// - One headers-sync peer at a time asks `getheaders` with our locator and continues from the
///   last header of every full (2,000) reply; announcements (`inv`, one-header `headers`) from any
///   peer trigger `getheaders` to that peer, as on the C++ node. `getheaders` is answered from the
///   active chain only.
/// - Legacy (RandomX) headers are hashed off the dispatcher (``LegacyHeaderIntake``).
/// - A silent headers-sync peer is replaced, and a sync paused at the cap on headers above the
///   active tip resumes as blocks arrive (``maintain(now:)``, ``resumeIfRoom()``).
/// - Out of initial block download, each address may make us process only so many headers
///   (``HeadersBudget``): free headers cannot buy our CPU either.
///
/// Threads: the dispatcher thread (messages, peer events, ticks), the hashing workers (outcomes of
/// legacy messages) and RPC threads (statistics). ``lock`` guards the sync state below and is never
/// held while calling the chain, the network, the logger or another component; it may be held
/// while taking the ``SyncPeers`` table's lock (a leaf), never the other way round.
final class HeadersSync: @unchecked Sendable {
    let chain: ChainState
    let network: any SyncNetwork
    let clock: any EngineClock
    /// Unix seconds, mock-aware (header times, initial block download).
    let wallTime: @Sendable () -> Int64
    let settings: SyncSettings
    let logger: Logger
    /// The established peers (their own lock): what each claims and which branch it is on.
    let peers: SyncPeers
    /// Asked for blocks whenever headers showed a peer has more (its own locks).
    let downloads: BlockDownload
    /// Told when headers moved the active chain (its own lock).
    let announcer: TipAnnouncer
    /// Legacy headers hashed off the dispatcher (nil on VDF networks; its own lock).
    let legacy: LegacyHeaderIntake?

    let lock = PThreadMutex()
    // guarded by lock
    var headersSyncPeer: PeerID?
    /// Headers sync stopped at the cap on headers above the active tip; resumed as blocks arrive.
    var headersSyncPaused = false
    var headersBudget = HeadersBudget()

    /// - Parameter legacyHashing: the hashing service for legacy (RandomX) headers, on networks that
    ///   have them; ``legacy`` runs the pipeline over it until ``stop()``.
    init(
        chain: ChainState, network: any SyncNetwork, clock: any EngineClock, wallTime: @escaping @Sendable () -> Int64,
        settings: SyncSettings, logger: Logger, peers: SyncPeers, downloads: BlockDownload, announcer: TipAnnouncer,
        legacyHashing: HeaderHashingService?
    ) {
        self.chain = chain
        self.network = network
        self.clock = clock
        self.wallTime = wallTime
        self.settings = settings
        self.logger = logger
        self.peers = peers
        self.downloads = downloads
        self.announcer = announcer
        legacy = legacyHashing.map { service in
            LegacyHeaderIntake(service: service, chain: chain, network: network, peers: peers, wallTime: wallTime) { change in
                announcer.activeChainMoved(change)
            }
        }
    }

    /// Stops the hashing workers (shutdown).
    func stop() { legacy?.stop() }

    /// True while the active tip is older than a day (``ChainState/isInitialBlockDownload(now:)``).
    var isInitialBlockDownload: Bool { chain.isInitialBlockDownload(now: wallTime()) }

    /// The peer left (already out of ``peers``, so no outcome of its legacy messages is queued
    /// again): it no longer holds headers sync, and its legacy messages are cancelled.
    func peerLeft(_ peer: PeerID) {
        lock.withLock { if headersSyncPeer == peer { headersSyncPeer = nil } }
        legacy?.cancel(peer)
    }

    // MARK: Legacy headers

    /// Dispatcher thread: applies the outcomes of `peer`'s legacy `headers` messages that the
    /// hashing workers finished, oldest first.
    func legacyHeadersReady(for peer: PeerID) {
        for outcome in legacy?.takeOutcomes(for: peer) ?? [] { headersProcessed(outcome, from: peer) }
    }

    /// The legacy hashing counters of `peer` (what its messages cost us), nil on a VDF network or
    /// before its first message.
    func legacyHashing(of peer: PeerID) -> HashingStatistics? { legacy?.statistics(of: peer) }

    /// The legacy hashing counters of every peer together, nil on a VDF network.
    var legacyHashingTotals: HashingStatistics? { legacy?.totals }

    /// The hash of a block's header: a legacy header that came through the pipeline costs a cache
    /// lookup, others are hashed here (VDF headers: SHA3-256).
    func blockHeaderHash(_ header: BlockHeader) throws(HeaderHashError) -> Hash256 {
        if !header.isVDF, let cached = legacy?.cachedHash(of: header) { return cached }
        return try header.hash(legacyHasher: chain.configuration.legacyHasher)
    }

    // MARK: The headers-sync peer

    /// Makes `peer` the headers-sync peer and asks it for headers when it claims more than we have
    /// (``ChainState/headersSyncHeight``), or when we have nothing yet. A peer that claims more
    /// replaces a sync peer that claims no more than we have (it may never answer, and would hold
    /// headers sync until the silent-peer check).
    func startSync(with peer: PeerID, claimedHeight: Int32) {
        let syncHeight = chain.headersSyncHeight
        let nothingYet = chain.tip.height == 0
        let (ask, replaced): (Bool, (PeerID, Int32)?) = lock.withLock {
            let claimsMore = Int(claimedHeight) > syncHeight
            guard claimsMore || nothingYet else { return (false, nil) }
            var replaced: (PeerID, Int32)?
            if let current = headersSyncPeer, current != peer {
                let currentClaim = peers.read { $0[current]?.knownHeight } ?? 0
                guard claimsMore, Int(currentClaim) <= syncHeight else { return (false, nil) }
                replaced = (current, currentClaim)
            }
            headersSyncPeer = peer
            return (true, replaced)
        }
        if let (old, oldClaim) = replaced {
            logger.info("headers sync peer replaced", metadata: [
                "old": "\(old.rawValue)", "old_height": "\(oldClaim)", "peer": "\(peer.rawValue)",
                "height": "\(claimedHeight)"])
        }
        if ask { requestHeaders(from: peer) }
        downloads.requestWork(candidates: peers.downloadCandidates)
    }

    /// Sends `getheaders` with a locator from `hash` (the last header of a full batch), or from the
    /// best header.
    func requestHeaders(from peer: PeerID, after hash: Hash256? = nil) {
        let now = clock.now
        peers.update { $0[peer]?.headersRequestedAt = now }
        let locator = hash.map { chain.locator(from: $0) } ?? chain.locator()
        network.send(.getheaders(GetHeadersMessage(locator: locator)), to: peer)
    }

    /// Starts headers sync with the established peer known to have the most headers beyond ours.
    func startWithBestCandidate() {
        let syncHeight = chain.headersSyncHeight
        let candidate: (PeerID, Int32)? = peers.read { peers in
            peers.values.filter { Int($0.knownHeight) > syncHeight }
                .max { ($0.knownHeight, $1.id.rawValue) < ($1.knownHeight, $0.id.rawValue) }.map { ($0.id, $0.knownHeight) }
        }
        if let candidate { startSync(with: candidate.0, claimedHeight: candidate.1) }
    }

    /// Whether a full batch of headers above `height` still fits under the cap on headers above the
    /// active tip.
    func hasRoomForHeaders(above height: Int) -> Bool {
        height + Limits.maxHeaders <= chain.tip.height + chain.configuration.maxHeadersAheadOfTip
    }

    /// Resumes a headers sync paused at the cap once blocks made room.
    func resumeIfRoom() {
        guard lock.withLock({ headersSyncPaused }), hasRoomForHeaders(above: chain.headersSyncHeight) else { return }
        lock.withLock { headersSyncPaused = false }
        startWithBestCandidate()
    }

    /// Replaces a headers-sync peer silent for ``SyncSettings/silentHeadersPeerTimeout``, restarts
    /// headers sync when nobody holds it and resumes a paused one when blocks made room.
    func maintain(now: EngineInstant) {
        let silentSync: PeerID? = lock.withLock {
            guard let peer = headersSyncPeer, let asked = peers.read({ $0[peer]?.headersRequestedAt }),
                now.duration(since: asked) > settings.silentHeadersPeerTimeout
            else { return nil }
            headersSyncPeer = nil
            return peer
        }
        if let silentSync {
            logger.info("headers sync peer silent; choosing another", metadata: ["peer": "\(silentSync.rawValue)"])
        }
        if lock.withLock({ headersSyncPeer == nil && !headersSyncPaused }) { startWithBestCandidate() }
        resumeIfRoom()
    }
}
