import DilithionNet
import DilithionSystem
import DilithionWire

/// A copy of what the ``PeerProtocol`` knows about one peer, taken under its lock in one short
/// hold, so RPC builds its answers without holding up the dispatcher.
struct PeerSessionSnapshot: Sendable {
    var isManual: Bool
    var version: VersionMessage?
    var isEstablished: Bool
    var handshakeMilliseconds: Double?
    var lastPingRTT: Duration?
    var pingSentAt: EngineInstant?
    var misbehaviour: Int
    var isAddressFetch: Bool
}
