import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Sending helpers, ignored and misbehaviour counters, penalties and bans, eviction choice.
extension PeerProtocol {
    // MARK: Helpers

    @discardableResult
    func send(_ message: Message, _ context: any HandlerContext) -> Bool {
        context.send(command: message.command, payload: message.encodePayload())
    }

    @discardableResult
    func send(_ message: Message, to peer: PeerID) -> Bool {
        engine?.send(command: message.command, payload: message.encodePayload(), to: peer) ?? false
    }

    func countIgnored(_ key: String) {
        lock.withLock { ignoredCounts[key, default: 0] += 1 }
    }

    func countMisbehaviour(_ key: String) {
        lock.withLock { misbehaviourCounts[key, default: 0] += 1 }
    }

    func isManualPeer(_ peer: PeerID) -> Bool {
        lock.withLock { sessions[peer]?.isManual ?? false }
    }

    /// True when `host` is the host of a `--connect`, `--addnode` or RPC `addnode` target (never
    /// banned automatically, even when not connected).
    func isManualHost(_ host: String) -> Bool {
        let manual = lock.withLock { dial.manualKeys } + configuration.connect + configuration.addNodes
        return manual.contains { NetAddressKey.parse($0, defaultPort: parameters.defaultPort)?.host == host }
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
        guard let engine else { return }
        for stats in engine.allPeerStatistics where stats.remoteAddress.host == host {
            engine.disconnect(stats.peer, reason: reason)
        }
    }

    /// Adds misbehaviour points with a logged reason; at 100 the address is banned (manual peers are
    /// never banned, only disconnected) and the peer disconnected.
    func penalize(_ context: any HandlerContext, points: Int, reason: String, detail: String) {
        penalize(context.peer, points: points, reason: reason, detail: detail)
    }

    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        countMisbehaviour(reason)
        let (score, address, manual): (Int, SocketAddress?, Bool) = lock.withLock {
            guard let session = sessions[peer] else { return (0, nil, false) }
            session.misbehaviour += points
            return (session.misbehaviour, session.address, session.isManual)
        }
        logger.info("misbehaviour", metadata: [
            "peer": "\(peer.rawValue)", "reason": "\(reason)", "points": "\(points)", "score": "\(score)",
            "detail": "\(detail)"])
        guard score >= 100, let address else { return }
        if !manual {
            bans.ban(address.host, duration: BanList.defaultDuration, reason: reason, now: wallClock.now)
        }
        engine?.disconnect(peer, reason: .misbehaving)
    }

    func selectEvictionLocked(deliveredRecently: Set<PeerID>) -> PeerID? {
        let now = clock.now
        let candidates = sessions.values.filter { $0.direction == .inbound }.map { session in
            EvictionPolicy.Candidate(
                id: session.id.rawValue,
                connectedSeconds: Double(now.duration(since: session.connectedAt).engineNanoseconds) / 1e9,
                pingSeconds: session.lastPingRTT.map { Double($0.engineNanoseconds) / 1e9 },
                isManual: session.isManual, misbehaviour: session.misbehaviour,
                deliveredBlocksRecently: deliveredRecently.contains(session.id))
        }
        return EvictionPolicy.select(candidates).map { PeerID(rawValue: $0) }
    }
}
