import DilithionNet
import DilithionWire

/// What RPC and metrics read from the peer protocol (copies taken in one short lock hold), and the
/// operator's dial targets. Any thread.
extension PeerProtocol {
    /// Every session's state, by peer.
    func sessionSnapshots() -> [PeerID: PeerSessionSnapshot] {
        lock.withLock {
            sessions.mapValues { session in
                PeerSessionSnapshot(
                    isManual: session.isManual, version: session.version, isEstablished: session.isEstablished,
                    handshakeMilliseconds: session.establishedAt.map {
                        Double($0.duration(since: session.connectedAt).engineNanoseconds) / 1e6
                    },
                    lastPingRTT: session.lastPingRTT, pingSentAt: session.pingSentAt,
                    misbehaviour: session.misbehaviour, isAddressFetch: dial.isAddressFetch(peer: session.id))
            }
        }
    }

    /// The counters, copied.
    func counters() -> PeerProtocolCounters {
        lock.withLock {
            PeerProtocolCounters(
                handshakeSeconds: handshakeDurations, misbehaviourByReason: misbehaviourCounts,
                ignoredByReason: ignoredCounts, addressRelay: addressRelayCounts,
                establishedPeers: sessions.values.filter(\.isEstablished).count)
        }
    }

    /// Adds or removes a manual dial target (RPC `addnode`); wakes the dialer when it changed.
    func addNode(_ address: String, command: AddNodeCommand) throws(NodeControlError) {
        guard NetAddressKey.parse(address, defaultPort: parameters.defaultPort) != nil else { throw .invalidAddress(address) }
        let changed: Bool = lock.withLock {
            switch command {
            case .add: return dial.add(address, port: parameters.defaultPort, manual: true, oneShot: false)
            case .onetry: return dial.add(address, port: parameters.defaultPort, manual: true, oneShot: true)
            case .remove: return dial.remove(address, port: parameters.defaultPort)
            }
        }
        guard changed else { throw command == .remove ? .notFound(address) : .alreadyAdded(address) }
        dialerCondition.broadcast()
    }

    /// The manual dial targets.
    func addedNodes() -> [String] { lock.withLock { dial.manualKeys } }
}
