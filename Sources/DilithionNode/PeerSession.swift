import DilithionNet
import DilithionSystem
import DilithionWire

/// What the peer-protocol layer knows about one connection. Guarded by the node's lock; mutated
/// by the dispatcher thread (handlers) and read by RPC.
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

    // Announcement preferences the peer asked for.
    var wantsHeaders = false
    var compactVersion: UInt64?

    // Liveness.
    var pingNonce: UInt64?
    var pingSentAt: EngineInstant?
    var lastPingSentAt: EngineInstant?
    var lastPingRTT: Duration?

    // Misbehaviour (C++ point values; ban at 100).
    var misbehaviour = 0
    var preHandshakeIgnored = 0
    var answeredGetaddr = false
    var addrBucket: TokenBucket

    // Sync.
    var bestKnownHeight: Int32 = 0
    /// The last header this peer sent that we hold: the branch it is on. A peer whose branch left
    /// the best chain is asked only for blocks up to the fork.
    var bestKnownHash: Hash256?
    var headersRequestedAt: EngineInstant?
    var blocksDelivered = 0
    var lastBlockAt: EngineInstant?
    var servedBlocks = Set<Hash256>()
    var unknownBlockRequests = 0

    init(id: PeerID, direction: PeerDirection, address: SocketAddress, isManual: Bool,
         handshake: HandshakeMachine, now: EngineInstant, nowSeconds: Double) {
        self.id = id
        self.direction = direction
        self.address = address
        self.isManual = isManual
        self.handshake = handshake
        self.connectedAt = now
        self.addrBucket = TokenBucket(rate: 0.1, capacity: 1_000, nowSeconds: nowSeconds)
    }
}
