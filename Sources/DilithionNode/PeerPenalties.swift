import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Misbehaviour and bans, for every part of the node: points with a logged reason (at 100 the
/// address is banned, unless a manual peer's, and the peer disconnected), the bans of a failed
/// handshake, a malformed message's points, and the counters of misbehaviour and of ignored
/// messages by reason.
///
/// Threads: the dispatcher (handlers), the block server's and sync's callers, RPC (counters).
/// Ownership: `lock` guards the two counters and is a leaf (nothing is called with it held). A
/// peer's score lives in its session, under the ``PeerSessions``' lock
/// (``PeerProtocol/addMisbehaviour(_:points:)``); bans are the ``BanList``'s (its own lock).
final class PeerPenalties: @unchecked Sendable {
    let configuration: NodeConfiguration
    let bans: BanList
    let logger: Logger
    let wallClock: WallClock
    /// The peer protocol that owns these penalties (sessions, the dialer's manual targets, the engine).
    unowned let peers: PeerProtocol

    let lock = PThreadMutex()
    // guarded by lock
    private var misbehaviourCounts: [String: Int] = [:]
    private var ignoredCounts: [String: Int] = [:]

    init(peers: PeerProtocol, configuration: NodeConfiguration, bans: BanList, logger: Logger, wallClock: WallClock) {
        self.peers = peers
        self.configuration = configuration
        self.bans = bans
        self.logger = logger
        self.wallClock = wallClock
    }

    func countIgnored(_ key: String, count: Int = 1) {
        lock.withLock { ignoredCounts[key, default: 0] += count }
    }

    func countMisbehaviour(_ key: String) {
        lock.withLock { misbehaviourCounts[key, default: 0] += 1 }
    }

    /// The counters, copied.
    func counts() -> (misbehaviourByReason: [String: Int], ignoredByReason: [String: Int]) {
        lock.withLock { (misbehaviourCounts, ignoredCounts) }
    }

    /// True when `host` is the host of a `--connect`, `--addnode` or RPC `addnode` target (never
    /// banned automatically, even when not connected).
    func isManualHost(_ host: String) -> Bool {
        let manual = peers.dialer.manualKeys + configuration.connect + configuration.addNodes
        return manual.contains { NetAddressKey.parse($0, defaultPort: configuration.parameters.defaultPort)?.host == host }
    }

    /// Bans `host` for the default duration (unless a manual peer's) and disconnects its peers.
    func banHost(_ host: String, reason: String) {
        guard !isManualHost(host) else { return }
        bans.ban(host, duration: BanList.defaultDuration, reason: reason, now: wallClock.now)
        logger.info("banned", metadata: ["host": "\(host)", "reason": "\(reason)"])
        disconnectAll(host: host, reason: .banned)
    }

    /// Disconnects every connected peer from `host`.
    func disconnectAll(host: String, reason: DisconnectReason) {
        guard let engine = peers.engine else { return }
        for stats in engine.allPeerStatistics where stats.remoteAddress.host == host {
            engine.disconnect(stats.peer, reason: reason)
        }
    }

    /// Adds misbehaviour points with a logged reason; at 100 the address is banned (manual peers are
    /// never banned, only disconnected) and the peer disconnected.
    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        countMisbehaviour(reason)
        let (score, address, manual) = peers.addMisbehaviour(peer, points: points)
        logger.info("misbehaviour", metadata: [
            "peer": "\(peer.rawValue)", "reason": "\(reason)", "points": "\(points)", "score": "\(score)",
            "detail": "\(detail)"])
        guard score >= 100, let address else { return }
        if !manual {
            bans.ban(address.host, duration: BanList.defaultDuration, reason: reason, now: wallClock.now)
        }
        peers.engine?.disconnect(peer, reason: .misbehaving)
    }

    /// A handshake the machine refused: the disconnect reason, and for an obsolete version a ban
    /// (unless a manual peer's); a connection to ourselves marks its dial target.
    func handshakeFailed(_ failure: HandshakeMachine.Failure, _ context: any HandlerContext, address: SocketAddress?) {
        switch failure {
        case .wrongGenesis:
            context.disconnect(reason: .wrongGenesis)
        case .selfConnection:
            context.disconnect(reason: .selfConnection)
            peers.dialer.markSelf(peer: context.peer)
        case .missingServices:
            context.disconnect(reason: .missingServices)
        case .obsoleteVersion:
            if let address, !peers.isManualPeer(context.peer) {
                bans.ban(address.host, duration: BanList.obsoleteVersionDuration, reason: "obsolete-version", now: wallClock.now)
            }
            context.disconnect(reason: .obsoleteVersion)
        }
        countMisbehaviour(failure.rawValue)
    }

    /// Decodes `frame`; a malformed message costs the peer its misbehaviour points and gives nil.
    func decode(_ frame: Frame, _ context: any HandlerContext) -> Message? {
        do {
            return try Message.decode(frame)
        } catch {
            penalize(context.peer, points: error.misbehaviorPoints, reason: error.reasonCode, detail: error.description)
            return nil
        }
    }
}
