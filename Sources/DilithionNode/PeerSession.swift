import DilithionNet
import DilithionSystem
import DilithionWire

/// What the peer-protocol layer knows about one connection (its sync state lives in the
/// ``SyncCoordinator``). Guarded by the ``PeerSessions``' lock; mutated by the dispatcher thread
/// (handlers) and read by RPC through snapshots.
final class PeerSession: @unchecked Sendable {
    let id: PeerID
    let direction: PeerDirection
    let address: SocketAddress
    /// True for `--connect` / `--addnode` peers and RPC `addnode onetry` (never evicted or banned
    /// automatically).
    let isManual: Bool
    var handshake: HandshakeMachine
    let connectedAt: EngineInstant
    var establishedAt: EngineInstant?

    var version: VersionMessage? { handshake.receivedVersion }
    var isEstablished: Bool { handshake.isEstablished }

    /// The compact-block version the peer asked for (`sendcmpct`); we build none, and announce with
    /// `headers` instead (the sync coordinator holds that preference).
    var compactVersion: UInt64?

    // Liveness.
    var pingNonce: UInt64?
    var pingSentAt: EngineInstant?
    var lastPingSentAt: EngineInstant?
    var lastPingRTT: Duration?

    // Misbehaviour (C++ point values; ban at 100).
    var misbehaviour = 0
    var preHandshakeIgnored = 0

    init(id: PeerID, direction: PeerDirection, address: SocketAddress, isManual: Bool,
         handshake: HandshakeMachine, now: EngineInstant, nowSeconds: Double) {
        self.id = id
        self.direction = direction
        self.address = address
        self.isManual = isManual
        self.handshake = handshake
        self.connectedAt = now
    }
}
