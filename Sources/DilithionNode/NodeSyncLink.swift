import DilithionNet
import DilithionWire

/// The node's side of the ``SyncNetwork`` the ``SyncCoordinator`` talks to: sends through the
/// engine, penalties and bans through the ``PeerProtocol``'s policy. Holds the peer protocol
/// unowned (the node owns both, and the coordinator owns this link).
final class NodeSyncLink: SyncNetwork, @unchecked Sendable {
    unowned let peers: PeerProtocol

    init(peers: PeerProtocol) { self.peers = peers }

    func send(_ message: Message, to peer: PeerID) { peers.send(message, to: peer) }

    func send(_ frame: EncodedFrame, to peer: PeerID) { peers.engine?.send(frame, to: peer) }

    func disconnect(_ peer: PeerID, reason: DisconnectReason) { peers.engine?.disconnect(peer, reason: reason) }

    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        peers.penalize(peer, points: points, reason: reason, detail: detail)
    }

    func ban(host: String, reason: String) { peers.banHost(host, reason: reason) }

    func countIgnored(_ reason: String) { peers.countIgnored(reason) }

    func isOverSendCap(_ peer: PeerID) -> Bool { peers.engine?.isOverSendCap(peer) ?? false }

    /// A zero-delay peer timer: the engine runs it on the dispatcher thread (``PeerTimer/legacyHeadersReady``).
    func wakeDispatcher(for peer: PeerID) {
        peers.engine?.scheduleTimer(for: peer, after: .zero, tag: PeerTimer.legacyHeadersReady.rawValue)
    }
}
