import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Sending helpers and the session side of misbehaviour (scores; the policy is ``PeerPenalties``).
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

    /// Counts an ignored message by reason (``PeerPenalties``).
    func countIgnored(_ key: String, count: Int = 1) { penalties.countIgnored(key, count: count) }

    /// Adds misbehaviour points (``PeerPenalties/penalize(_:points:reason:detail:)``).
    func penalize(_ context: any HandlerContext, points: Int, reason: String, detail: String) {
        penalties.penalize(context.peer, points: points, reason: reason, detail: detail)
    }

    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        penalties.penalize(peer, points: points, reason: reason, detail: detail)
    }

    /// Bans `host` unless a manual peer's (``PeerPenalties/banHost(_:reason:)``).
    func banHost(_ host: String, reason: String) { penalties.banHost(host, reason: reason) }

    func isManualPeer(_ peer: PeerID) -> Bool { sessions.with(peer) { $0.isManual } ?? false }

    /// Adds `points` to the peer's score; returns the new score, its address and whether it is a
    /// manual peer (nil address: the peer is gone).
    func addMisbehaviour(_ peer: PeerID, points: Int) -> (score: Int, address: SocketAddress?, isManual: Bool) {
        sessions.with(peer) { session in
            session.misbehaviour += points
            return (session.misbehaviour, session.address, session.isManual)
        } ?? (0, nil, false)
    }
}
