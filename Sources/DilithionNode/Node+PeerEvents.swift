import DilithionNet
import DilithionSystem
import DilithionWire

/// The node passes the peer protocol's events on to the parts that keep per-peer state.
extension Node: PeerEvents {
    func peerEstablished(_ peer: PeerID, version: VersionMessage, host: String) {
        compactRelay.peerEstablished(peer, userAgent: version.userAgent)
        sync.peerEstablished(peer, version: version, host: host)
    }

    func peerLeft(_ peer: PeerID) {
        serving.forget(peer)
        compactRelay.peerLeft(peer)
        sync.peerLeft(peer)
    }

    func peerSentSendCompact(_ request: SendCompactMessage, from peer: PeerID) {
        compactRelay.receivedSendCompact(request, from: peer)
    }

    func legacyHeadersReady(for peer: PeerID) { sync.offDispatcherWorkReady(for: peer) }

    func peerWantsHeaders(_ peer: PeerID) { sync.peerWantsHeaders(peer) }

    func tick(now: EngineInstant) {
        sync.tick(now: now)
        compactRelay.tick(now: now)
    }

    func peersThatDeliveredBlocks(since now: EngineInstant, within window: Duration) -> Set<PeerID> {
        sync.peersThatDeliveredBlocks(since: now, within: window)
    }
}
