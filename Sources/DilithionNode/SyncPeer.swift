import DilithionHeaderHashing
import DilithionNet
import DilithionSystem
import DilithionWire

/// What sync knows about one established peer: a row of the ``SyncPeers`` table, guarded by its lock.
struct SyncPeer: Sendable {
    let id: PeerID
    /// The peer's address host (withheld-branch strikes outlive the connection).
    let host: String
    /// Whether it serves deeper download pipelines than the C++ node's 32 blocks.
    let pipelinesDeeply: Bool
    /// The height it claims (its `version` start height, then what its headers showed).
    var knownHeight: Int32
    /// The last header it sent that we hold: the branch it is on.
    var knownHash: Hash256?
    /// It asked for `headers` announcements (`sendheaders` or `sendcmpct`).
    var wantsHeaders = false
    /// When we last asked it for headers.
    var headersRequestedAt: EngineInstant?
    /// `headers` messages in a row whose first header's parent we did not know (answered with
    /// `getheaders`; penalised past ``SyncSettings/unconnectingHeadersLimit``).
    var unconnectingHeaders = 0
    /// Blocks it delivered on this connection.
    var blocksDelivered = 0
    /// When it last delivered a block.
    var lastBlockAt: EngineInstant?
}

/// What `getpeerinfo` and eviction read about a peer's sync.
struct SyncPeerFacts: Sendable {
    let knownHeight: Int32
    let blocksInFlight: Int
    let blocksInFlightLimit: Int
    let lastBlockAt: EngineInstant?
    /// What the peer's legacy headers cost in RandomX hashes (nil on VDF networks or before its
    /// first legacy `headers`).
    let legacyHashing: HashingStatistics?
}
