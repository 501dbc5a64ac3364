import DilithionRandomX
import DilithionWire

/// Every operator setting of `dilithion-node`, validated: the command line merged over the
/// configuration file (see ``resolve(commandLine:environment:loadFile:)``).
public struct NodeOptions: Sendable, Equatable {
    /// `--network` (command line only; default regtest).
    public var network: Network
    /// `--datadir` (command line only; default `~/.dilithion-swift/<network>`).
    public var dataDirectory: String
    /// The configuration file that was read, if any.
    public var configFile: String?
    /// `port`: the P2P port (default: the network's).
    public var port: UInt16
    /// Whether `port` was set explicitly (it then re-enables listening under `connect`).
    public var portIsExplicit: Bool
    /// `bind`: listen addresses; empty = the defaults (or none under `connect`).
    public var bind: [Endpoint]
    /// `connect`: only these peers.
    public var connect: [Endpoint]
    /// `addnode`: these peers on top of the automatic ones.
    public var addNodes: [Endpoint]
    /// `seednode`: ask these for addresses.
    public var seedNodes: [Endpoint]
    /// `maxconnections` (default 125).
    public var maxConnections: Int
    /// `max-connections-per-ip` (default 2).
    public var maxConnectionsPerIP: Int
    /// `externalip`: the address advertised to peers.
    public var externalIP: String?
    /// `rpcbind`: JSON-RPC listen addresses (default 127.0.0.1 on `rpcport`).
    public var rpcBind: [Endpoint]
    /// `rpcport` (default: the network's RPC port).
    public var rpcPort: UInt16
    /// `rpcuser` / `rpcpassword`: optional HTTP Basic credentials besides the cookie.
    public var rpcCredentials: RPCCredentials?
    /// `metrics-port`: Prometheus on 127.0.0.1; 0 = off (the default).
    public var metricsPort: UInt16
    /// `loglevel`.
    public var logLevels: LogLevels
    /// `printtoconsole`: log to standard error instead of `debug.log`.
    public var printToConsole: Bool
    /// `reindex`.
    public var reindex: Bool
    /// `mocktime` (regtest only).
    public var mockTime: Int64?
    /// `randomx-mode`: light, full or auto (the default: full when the memory is available);
    /// only used on networks with legacy (RandomX) headers.
    public var randomXMode: RandomXMode
    /// `legacy-regtest` (regtest only): our legacy regtest chain (RandomX headers), for tests of the
    /// mainnet header path.
    public var legacyRegtest: Bool
    /// `attestbind`: public seed attestation listeners (`getmikattestation` only); empty = off.
    public var attestBind: [Endpoint]
    /// `asn-db`: iptoasn's `ip2asn-v4.tsv` (required with `attestbind`).
    public var asnDatabasePath: String?
    /// `datacenter-asns`: the datacenter ASN list (default `<datadir>/datacenter-asns.txt`).
    public var datacenterASNsPath: String
    /// `attest-key`: the seed attestation key file (default `<datadir>/seed-attestation.key`).
    public var attestKeyPath: String
    /// `attest-seed-keys` (regtest only): the regtest seed public keys, one hex key per line.
    public var attestSeedKeysPath: String?
    /// `attestation-rate-limit`: new MIKs per /24 per day (default 1, as the C++ node).
    public var attestationRateLimit: Int
    /// `routable-subnet` (regtest only): subnets treated as routable addresses.
    public var routableSubnets: [IPSubnet]

    /// The defaults for `network` with data in `dataDirectory`.
    public init(network: Network, dataDirectory: String) {
        let parameters = network.parameters
        self.network = network
        self.dataDirectory = dataDirectory
        self.configFile = nil
        self.port = parameters.defaultPort
        self.portIsExplicit = false
        self.bind = []
        self.connect = []
        self.addNodes = []
        self.seedNodes = []
        self.maxConnections = 125
        self.maxConnectionsPerIP = 2
        self.externalIP = nil
        self.rpcBind = [Endpoint(host: "127.0.0.1", port: parameters.defaultRPCPort)]
        self.rpcPort = parameters.defaultRPCPort
        self.rpcCredentials = nil
        self.metricsPort = 0
        self.logLevels = LogLevels()
        self.printToConsole = false
        self.reindex = false
        self.mockTime = nil
        self.randomXMode = .auto
        self.legacyRegtest = false
        self.attestBind = []
        self.asnDatabasePath = nil
        self.datacenterASNsPath = dataDirectory + "/datacenter-asns.txt"
        self.attestKeyPath = dataDirectory + "/seed-attestation.key"
        self.attestSeedKeysPath = nil
        self.attestationRateLimit = 1
        self.routableSubnets = []
    }

    /// The log file when not printing to the console.
    public var logFilePath: String { dataDirectory + "/debug.log" }
    /// The lock file that keeps a second node off this data directory.
    public var lockFilePath: String { dataDirectory + "/.lock" }
    /// The RPC cookie file.
    public var cookieFilePath: String { dataDirectory + "/.cookie" }
}
