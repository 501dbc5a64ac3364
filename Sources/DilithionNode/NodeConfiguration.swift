import DilithionRandomX
import DilithionWire

/// Everything an operator can set about a node. Defaults follow the C++ node where it has them
/// (PROTOCOL.md §7): 125 connections, 8 outbound, 2 inbound per IP.
public struct NodeConfiguration: Sendable {
    public var network: Network
    public var dataDirectory: String
    /// "host:port" addresses to listen on; empty = do not listen.
    public var listen: [String]
    /// `--connect`: connect only to these, never to seeds or the address book.
    public var connect: [String]
    /// `--addnode`: always keep a connection to these (on top of the automatic ones).
    public var addNodes: [String]
    /// `--seednode`: ask these for addresses (a short connection per fetch, see `DialState`).
    public var seedNodes: [String]
    public var maxConnections: Int
    public var maxOutbound: Int
    public var maxInboundPerIP: Int
    /// The address we tell peers we are reachable at (`version.addr_from`).
    public var externalIP: String?
    /// Rebuild the block index from the stored blocks at start.
    public var reindex: Bool
    /// Regtest only: the node's wall clock starts at this unix time.
    public var mockTime: Int64?
    /// Timings of the peer protocol.
    public var timeouts: PeerTimeouts
    /// Blocks requested from one peer at a time (never more than 32: C++ peers stop answering).
    public var maxBlocksInFlightPerPeer: Int
    /// The user agent we send in `version`.
    public var userAgent: String
    /// Regtest only: subnets whose addresses count as routable (``AddressPolicy``), so that address
    /// relay and outbound selection work inside an emulated network (`scripts/netsim`: 10.0.0.0/8).
    public var routableSubnets: [IPSubnet]
    /// Headers kept above the active tip at most (nil: the chain default, 100,000); headers sync
    /// pauses there until blocks catch up.
    public var maxHeadersAheadOfTip: Int?
    /// Seconds a branch may go without a block delivered before its headers are pruned and its
    /// announcers get a withheld-branch strike (nil: the chain default, 120 s;
    /// ``DilithionChain/ChainConfiguration/unbackedBranchLifetimeSeconds``).
    public var unbackedBranchLifetimeSeconds: Int64?
    /// How legacy (RandomX) headers are hashed on networks that have them (mainnet): light (256 MiB
    /// cache, 10–40 ms a hash), full (2 GiB dataset built once by the hashing workers, about a
    /// millisecond a hash) or auto (full when that memory is available). docs/benchmarks.md.
    public var randomXMode: RandomXMode
    /// Hashing workers for legacy headers, one RandomX VM each.
    public var hashingWorkers: Int
    /// Regtest only: run our legacy regtest chain (RandomX headers, ``NetworkParameters/legacyRegtest``)
    /// instead of the VDF regtest: the mainnet header path on a chain that tests can mine.
    public var legacyRegtest: Bool

    /// The version string of this implementation.
    public static let softwareVersion = "0.1.0"

    public init(network: Network, dataDirectory: String) {
        self.network = network
        self.dataDirectory = dataDirectory
        let port = network.parameters.defaultPort
        self.listen = ["0.0.0.0:\(port)", "[::]:\(port)"]
        self.connect = []
        self.addNodes = []
        self.seedNodes = []
        self.maxConnections = 125
        self.maxOutbound = 8
        self.maxInboundPerIP = 2
        self.externalIP = nil
        self.reindex = false
        self.mockTime = nil
        self.timeouts = PeerTimeouts()
        self.maxBlocksInFlightPerPeer = 16
        self.userAgent = "/dilithion-swift:\(Self.softwareVersion)/"
        self.maxHeadersAheadOfTip = nil
        self.routableSubnets = []
        self.unbackedBranchLifetimeSeconds = nil
        self.randomXMode = .auto
        self.hashingWorkers = 2
        self.legacyRegtest = false
    }

    /// Inbound slots: what is left of the total after the outbound target.
    public var maxInbound: Int { max(0, maxConnections - maxOutbound) }
}

/// The peer protocol's deadlines (all absolute from the connection's start or the last event,
/// checked against the engine clock).
public struct PeerTimeouts: Sendable {
    /// A peer must send `version` within this of connecting (C++: 30 s).
    public var version: Duration = .seconds(30)
    /// The whole handshake must complete within this of connecting (C++: 60 s).
    public var handshake: Duration = .seconds(60)
    /// We ping a peer after this much silence, and at least this often (C++ peers drop a peer
    /// silent for ~120 s).
    public var pingInterval: Duration = .seconds(60)
    /// A ping unanswered this long disconnects the peer.
    public var pongTimeout: Duration = .seconds(60)
    /// Nothing received for this long disconnects the peer.
    public var inactivity: Duration = .seconds(20 * 60)
    /// How often each peer's keepalive / stall check runs.
    public var tick: Duration = .seconds(5)

    public init() {}
}
