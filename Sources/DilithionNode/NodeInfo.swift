import DilithionWire

/// One peer as `getpeerinfo` reports it.
public struct PeerInfo: Sendable {
    public var id: UInt64
    public var address: String
    public var inbound: Bool
    public var manual: Bool
    public var version: Int32?
    public var subversion: String?
    public var startingHeight: Int32?
    public var handshakeComplete: Bool
    /// Milliseconds from TCP connect to handshake completion.
    public var handshakeMilliseconds: Double?
    public var syncedHeaders: Int
    public var syncedBlocks: Int
    public var bytesSent: Int
    public var bytesReceived: Int
    public var bytesSentPerMessage: [String: Int]
    public var bytesReceivedPerMessage: [String: Int]
    public var pingSeconds: Double?
    /// Seconds the outstanding ping has waited for its pong (nil when none is outstanding).
    public var pingWaitSeconds: Double?
    public var connectedSeconds: Double
    /// Unix time of connection, last send and last receive.
    public var connectionTime: Int64
    public var lastSend: Int64?
    public var lastReceive: Int64?
    public var blocksInFlight: Int
    /// How many blocks this peer may have in flight now (its download pipeline's depth).
    public var blocksInFlightLimit: Int
    public var readPaused: Bool
    public var sendPaused: Bool
    public var inboxBytes: Int
    public var outboxBytes: Int
    /// The most the inbox and outbox have held since the peer connected.
    public var peakInboxBytes: Int
    public var peakOutboxBytes: Int
    /// Frames from this peer the decoder dropped (bad checksum).
    public var droppedFrames: Int
    public var banScore: Int
    /// A short outbound connection to a `--seednode` that only fetches addresses (`connection_type` "addr-fetch").
    public var addressFetch = false
    /// RandomX hashes this peer's legacy `headers` cost (nil on networks without legacy headers).
    public var legacyHashes: Int? = nil
    /// Its legacy headers answered by the replay cache instead (no RandomX).
    public var legacyHashesAvoided = 0
    /// Times its hashing waited because its budget of hashes per second was spent.
    public var legacyHashBudgetWaits = 0
}

/// `getnetworkinfo`.
public struct NetworkInfo: Sendable {
    public var version: String
    public var subversion: String
    public var protocolVersion: Int32
    public var connections: Int
    public var connectionsIn: Int
    public var connectionsOut: Int
    public var listening: [String]
    public var network: String
}

/// `getnettotals`.
public struct NetTotals: Sendable {
    public var bytesReceived: Int
    public var bytesSent: Int
    public var timeMillis: Int64
}

/// `getblockchaininfo`.
public struct BlockchainInfo: Sendable {
    public var chain: String
    public var blocks: Int
    public var headers: Int
    public var bestBlockHash: Hash256
    public var chainWork: String
    public var initialBlockDownload: Bool
    public var verificationProgress: Double
    public var sizeOnDisk: Int
}

/// `getblockheader`.
public struct HeaderInfo: Sendable {
    public var hash: Hash256
    public var header: BlockHeader
    public var height: Int
    public var confirmations: Int
    public var chainWork: String
    public var nextHash: Hash256?
    public var isStored: Bool
}

/// `addnode` commands.
public enum AddNodeCommand: String, Sendable {
    case add, remove, onetry
}

/// `setban` commands.
public enum BanCommand: String, Sendable {
    case add, remove
}

/// A ban as `listbanned` reports it.
public struct BanEntry: Sendable {
    public var address: String
    public var bannedUntil: Int64
    public var createdAt: Int64
    public var reason: String
}

/// Why an operator's request could not be carried out.
public enum NodeControlError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidAddress(String)
    case notFound(String)
    case alreadyAdded(String)
    case notRegtest
    case invalidParameter(String)
    case failed(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text): return "invalid address: \(text)"
        case .notFound(let text): return "not found: \(text)"
        case .alreadyAdded(let text): return "already added: \(text)"
        case .notRegtest: return "only available on regtest"
        case .invalidParameter(let text): return "invalid parameter: \(text)"
        case .failed(let text): return text
        }
    }
}

/// Everything `/metrics` shows, as one consistent snapshot.
public struct NodeMetricsSnapshot: Sendable {
    public var peersByDirectionAndState: [String: Int]
    public var bytesReceivedByCommand: [String: Int]
    public var bytesSentByCommand: [String: Int]
    public var messagesReceivedByCommand: [String: Int]
    public var messagesSentByCommand: [String: Int]
    /// Since the node started, departed peers included (monotonic counters).
    public var bytesReceivedTotalByCommand: [String: Int]
    public var bytesSentTotalByCommand: [String: Int]
    public var messagesReceivedTotalByCommand: [String: Int]
    public var messagesSentTotalByCommand: [String: Int]
    /// Handshake durations in seconds (the renderer buckets them).
    public var handshakeSeconds: [Double]
    public var disconnectsByReason: [String: Int]
    public var misbehaviourByReason: [String: Int]
    /// Frames the decoder refused, by kind (``DilithionWire/FrameError/detailCode``).
    public var frameErrorsByKind: [String: Int]
    /// Messages ignored by policy, by reason (`unknown-command`, `pre-handshake`, `addr-rate-limited`, …).
    public var ignoredByReason: [String: Int]
    /// Failed `accept`s (the listener paused each time), by the engine's `AcceptFailure.reasonCode`
    /// (`process-fd-limit` for EMFILE, `system-fd-limit` for ENFILE, ...).
    public var acceptFailuresByReason: [String: Int]
    public var bans: Int
    public var inboxBytes: Int
    public var outboxBytes: Int
    public var dispatcherQueueDepth: Int
    public var tipHeight: Int
    public var headersHeight: Int
    public var ibdProgress: Double
    public var blocksPerSecond: Double
    public var storeBytes: Int
    public var storeBlocks: Int
    public var uptimeSeconds: Int64
    /// Active-chain switches of branch since start (VDF lottery replacements included).
    public var reorgs: Int = 0
    /// Blocks those switches disconnected.
    public var reorgDisconnectedBlocks: Int = 0
    /// The most blocks one switch disconnected.
    public var deepestReorg: Int = 0
    /// Headers in the header tree (all branches).
    public var headerTreeHeaders: Int = 0
    /// Headers on neither the best header chain nor the active chain.
    public var sideBranchHeaders: Int = 0
    /// Headers pruned (expired or stale branches) since start.
    public var prunedHeaders: Int = 0
    /// Headers evicted at the side-branch cap since start.
    public var evictedHeaders: Int = 0
    /// Legacy header hashing, all peers together (nil on networks without legacy headers).
    public var legacyHashing: LegacyHashingCounters? = nil
    /// Compact-block relay events since start, by kind (`pushed`, `received`, `rebuilt-at-once`,
    /// `getblocktxn-timeout`, `push-peer-promoted`, …; ``CompactRelay``).
    public var compactRelayEvents: [String: Int] = [:]
    /// Peers that asked us to push new blocks to them, and peers we asked to push to us.
    public var pushPeersOut: Int = 0
    public var pushPeersIn: Int = 0
}

/// The legacy (RandomX) header hashing counters in `/metrics`.
public struct LegacyHashingCounters: Sendable, Equatable {
    /// RandomX hashes computed.
    public var hashes: Int
    /// Of those, hashes whose message had already stopped (failed or cancelled) when they finished.
    public var discarded: Int
    /// Headers answered by the replay cache or known in advance, without RandomX.
    public var avoided: Int
    /// Times a peer's hashing waited because its budget of hashes per second was spent.
    public var budgetWaits: Int
    /// Hashing jobs waiting for a worker now.
    public var queued: Int

    public init(hashes: Int, discarded: Int, avoided: Int, budgetWaits: Int, queued: Int) {
        self.hashes = hashes
        self.discarded = discarded
        self.avoided = avoided
        self.budgetWaits = budgetWaits
        self.queued = queued
    }
}
