import DilithionNet
import DilithionWire

/// What RPC and metrics read from the peer protocol (copies taken in one short lock hold), and the
/// operator's dial targets. Any thread.
extension PeerProtocol {
    /// Every session's state, by peer.
    func sessionSnapshots() -> [PeerID: PeerSessionSnapshot] {
        sessions.snapshots(addressFetches: dialer.addressFetchPeers(among: sessions.ids()))
    }

    /// The counters, copied.
    func counters() -> PeerProtocolCounters {
        let addressRelay = exchange.counts()
        let (misbehaviour, ignored) = penalties.counts()
        let (handshakeSeconds, established) = sessions.counts()
        return PeerProtocolCounters(
            handshakeSeconds: handshakeSeconds, misbehaviourByReason: misbehaviour, ignoredByReason: ignored,
            addressRelay: addressRelay, establishedPeers: established)
    }

    /// Adds or removes a manual dial target (RPC `addnode`); wakes the dialer when it changed.
    func addNode(_ address: String, command: AddNodeCommand) throws(NodeControlError) {
        try dialer.addNode(address, command: command)
    }

    /// The manual dial targets.
    func addedNodes() -> [String] { dialer.manualKeys }
}
