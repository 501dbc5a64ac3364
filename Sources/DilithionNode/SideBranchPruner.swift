import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Prunes expired and stale side branches on the ``SyncCoordinator``'s maintenance and applies the
/// withheld-branch policy (``WithheldBranchStrikes``): a peer, connected or departed, whose last
/// header went with an expired branch that had more work than the active tip gets points, and an
/// address that does it twice within the window is banned.
///
/// Threads: the dispatcher (peer departures, maintenance). ``lock`` guards the claims and strikes
/// below and is never held while calling the chain, the network, the logger or the ``SyncPeers``
/// table.
final class SideBranchPruner: @unchecked Sendable {
    let chain: ChainState
    let network: any SyncNetwork
    /// Unix seconds, mock-aware (branch expiry, strikes).
    let wallTime: @Sendable () -> Int64
    let settings: SyncSettings
    let logger: Logger
    /// The connected peers' claims (their own lock).
    let peers: SyncPeers

    private let lock = PThreadMutex()
    // guarded by lock
    /// When the branches were last pruned (engine clock).
    private var lastPrune: EngineInstant?
    /// Branch claims of peers that left (their withholding is judged when the branch expires).
    private var departedClaims = DepartedClaims()
    private var strikes = WithheldBranchStrikes()

    init(
        chain: ChainState, network: any SyncNetwork, wallTime: @escaping @Sendable () -> Int64, settings: SyncSettings,
        logger: Logger, peers: SyncPeers
    ) {
        self.chain = chain
        self.network = network
        self.wallTime = wallTime
        self.settings = settings
        self.logger = logger
        self.peers = peers
    }

    /// A peer left claiming the branch of `hash`: remembered until it is either delivered or expires.
    func peerLeft(_ peer: PeerID, host: String, claiming hash: Hash256) {
        guard !chain.isOnActiveChain(hash) else { return }
        let now = wallTime()
        lock.withLock { departedClaims.add(peer: peer, host: host, hash: hash, at: now) }
    }

    /// Prunes unless it did less than ``SyncSettings/pruneInterval`` ago.
    func pruneIfDue(now: EngineInstant) {
        let due: Bool = lock.withLock {
            if let last = lastPrune, now.duration(since: last) < settings.pruneInterval { return false }
            lastPrune = now
            return true
        }
        if due { prune() }
    }

    /// Prunes expired and stale side branches and strikes the peers that claimed a withheld one.
    func prune() {
        let wallNow = wallTime()
        let cutoff = wallNow - 2 * chain.configuration.unbackedBranchLifetimeSeconds
        let claimed = peers.read { Set($0.values.compactMap(\.knownHash)) }
        let watched = claimed.union(lock.withLock { departedClaims.hashes })
        let report = chain.pruneSideBranches(now: wallNow, watching: watched)
        guard report.removedHeaders > 0 else {
            lock.withLock { _ = departedClaims.settle(withheld: [], forgettingBefore: cutoff) }
            return
        }
        logger.info("side branches pruned", metadata: [
            "headers": "\(report.removedHeaders)", "expired": "\(report.expiredBranches)", "stale": "\(report.staleBranches)",
            "withheld": "\(report.withheld.count)", "best_header": "\(chain.bestHeader.height)", "tip": "\(chain.tip.height)"])
        guard !report.withheld.isEmpty else { return }
        let connected: [(PeerID, String)] = peers.update { peers in
            let connected = peers.values.filter { $0.knownHash.map(report.withheld.contains) ?? false }.map { ($0.id, $0.host) }
            for (peer, _) in connected { peers[peer]?.knownHash = nil }
            return connected
        }
        let departed = lock.withLock { departedClaims.settle(withheld: report.withheld, forgettingBefore: cutoff) }
        for (peer, host) in connected { strike(host: host, peer: peer, now: wallNow) }
        for (peer, host) in departed { strike(host: host, peer: peer, now: wallNow) }
    }

    /// One withheld-branch strike (``WithheldBranchStrikes``): points for the peer (they matter only
    /// while it is connected; the penalty is counted and logged either way), a ban at the second
    /// strike of an address within the window.
    private func strike(host: String, peer: PeerID, now: Int64) {
        let count = lock.withLock { strikes.record(host: host, at: now, window: settings.withheldStrikeWindowSeconds) }
        let detail = "announced a branch whose blocks nobody delivered (strike \(count) of \(host))"
        network.penalize(peer, points: settings.withheldBranchPoints, reason: "withheld-branch", detail: detail)
        if count >= settings.withheldStrikesToBan { network.ban(host: host, reason: "withheld-branch") }
    }
}
