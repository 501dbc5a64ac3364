import DilithionNet
import DilithionWire

/// The node's side of the ``SyncNetwork`` the ``SyncCoordinator`` talks to: sends through the
/// engine, penalties and bans through the node's policy. Holds the node unowned (the node owns the
/// coordinator, which owns this link).
final class NodeSyncLink: SyncNetwork, @unchecked Sendable {
    unowned let node: Node

    init(node: Node) { self.node = node }

    func send(_ message: Message, to peer: PeerID) { node.send(message, to: peer) }

    func send(_ frame: Frame, to peer: PeerID) { node.manager.send(frame, to: peer) }

    func disconnect(_ peer: PeerID, reason: DisconnectReason) { node.manager.disconnect(peer, reason: reason) }

    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        node.penalize(peer, points: points, reason: reason, detail: detail)
    }

    func ban(host: String, reason: String) {
        guard !node.isManualHost(host) else { return }
        node.bans.ban(host, duration: BanList.defaultDuration, reason: reason, now: node.wallClock.now)
        node.peerLogger.info("banned", metadata: ["host": "\(host)", "reason": "\(reason)"])
        for stats in node.manager.allPeerStatistics where stats.remoteAddress.host == host {
            node.manager.disconnect(stats.peer, reason: .banned)
        }
    }

    func countIgnored(_ reason: String) { node.countIgnored(reason) }

    func isOverSendCap(_ peer: PeerID) -> Bool { node.manager.isOverSendCap(peer) }
}
