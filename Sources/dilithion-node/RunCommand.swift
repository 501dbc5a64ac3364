import ArgumentParser
import DilithionNodeOps
import DilithionOps

#if canImport(Glibc)
import Glibc
#endif

/// `dilithion-node [run] …`: runs the node (the default subcommand).
///
/// Every value is taken as text and validated by `NodeOptions.resolve`, so a bad flag and a bad
/// file line get the same one-line error and exit status 2.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node (default).",
        discussion: """
            Options may also be set in a key=value file (--conf, else <datadir>/dilithion.conf if it \
            exists) with the same names without dashes; flags override the file. Exit status: 0 after \
            an orderly shutdown (SIGINT, SIGTERM or the stop RPC); 1 when the node cannot start \
            (data directory locked by another node, store or port unavailable) or shutdown overran \
            its deadline; 2 for a bad option or value; 130/143 when a second SIGINT/SIGTERM forces \
            the exit.
            """
    )

    @Option(help: "mainnet, testnet, dilv or regtest.")
    var network: String?
    @Option(help: "Data directory (default ~/.dilithion-swift/<network>).")
    var datadir: String?
    @Option(help: "Configuration file (default <datadir>/dilithion.conf if present).")
    var conf: String?
    @Option(help: "Listen address host[:port]; repeatable (default 0.0.0.0 and [::] on --port).")
    var bind: [String] = []
    @Option(help: "P2P port (default: the network's, e.g. 18744 on regtest).")
    var port: String?
    @Option(help: "Connect only to this peer host[:port]; repeatable. Implies no listening unless --port/--bind.")
    var connect: [String] = []
    @Option(help: "Keep a connection to this peer; repeatable.")
    var addnode: [String] = []
    @Option(help: "Ask this peer for addresses; repeatable.")
    var seednode: [String] = []
    @Option(help: "Most connections in total (default 125).")
    var maxconnections: String?
    @Option(name: .customLong("max-connections-per-ip"), help: "Most inbound connections from one IP (default 2).")
    var maxConnectionsPerIP: String?
    @Option(help: "The address advertised to peers.")
    var externalip: String?
    @Option(help: "JSON-RPC listen address host[:port]; repeatable (default 127.0.0.1).")
    var rpcbind: [String] = []
    @Option(help: "JSON-RPC port (default: the network's, e.g. 18745 on regtest).")
    var rpcport: String?
    @Option(help: "JSON-RPC user for HTTP Basic auth (besides the cookie).")
    var rpcuser: String?
    @Option(help: "JSON-RPC password.")
    var rpcpassword: String?
    @Option(name: .customLong("metrics-port"), help: "Prometheus /metrics port on 127.0.0.1 (0 = off, the default).")
    var metricsPort: String?
    @Option(help: "Log level, and per category (net, peer, sync, store, rpc): e.g. info,net=debug.")
    var loglevel: String?
    @Flag(help: "Log to standard error instead of <datadir>/debug.log.")
    var printtoconsole = false
    @Flag(help: "Rebuild the block index from the stored blocks.")
    var reindex = false
    @Option(help: "Regtest only: the node's clock starts at this unix time.")
    var mocktime: String?
    @Option(name: .customLong("randomx-mode"),
            help: "Legacy (mainnet) header hashing: light (256 MiB), full (2 GiB dataset, ~30x faster) or auto (full when the memory is available; the default).")
    var randomxMode: String?
    @Flag(name: .customLong("legacy-regtest"),
          help: "Regtest only: run our legacy regtest chain (RandomX headers; made by `generate --legacy`).")
    var legacyRegtest = false
    @Option(help: "Public seed attestation listener host[:port] serving getmikattestation only; repeatable (default off; port: the network's RPC port).")
    var attestbind: [String] = []
    @Option(name: .customLong("asn-db"), help: "iptoasn's ip2asn-v4.tsv (required with --attestbind).")
    var asnDB: String?
    @Option(name: .customLong("datacenter-asns"), help: "Datacenter ASN list (default <datadir>/datacenter-asns.txt).")
    var datacenterASNs: String?
    @Option(name: .customLong("attest-key"), help: "Seed attestation key file (default <datadir>/seed-attestation.key; created if absent).")
    var attestKey: String?
    @Option(name: .customLong("attest-seed-keys"), help: "Regtest only: the seed public keys, one hex key per line (seed id = line order).")
    var attestSeedKeys: String?
    @Option(name: .customLong("attestation-rate-limit"), help: "New MIKs attested per /24 per day (1-100, default 1).")
    var attestationRateLimit: String?
    @Option(name: .customLong("routable-subnet"),
            help: "Regtest only: treat addresses in this subnet (CIDR, e.g. 10.0.0.0/8) as routable; repeatable.")
    var routableSubnet: [String] = []

    /// The flags as entries for `NodeOptions.resolve` (keys are the option names without dashes).
    var entries: [OptionEntry] {
        var entries: [OptionEntry] = []
        entries.appendFlag("network", network)
        entries.appendFlag("datadir", datadir)
        entries.appendFlag("conf", conf)
        entries.appendFlag("bind", bind)
        entries.appendFlag("port", port)
        entries.appendFlag("connect", connect)
        entries.appendFlag("addnode", addnode)
        entries.appendFlag("seednode", seednode)
        entries.appendFlag("maxconnections", maxconnections)
        entries.appendFlag("max-connections-per-ip", maxConnectionsPerIP)
        entries.appendFlag("externalip", externalip)
        entries.appendFlag("rpcbind", rpcbind)
        entries.appendFlag("rpcport", rpcport)
        entries.appendFlag("rpcuser", rpcuser)
        entries.appendFlag("rpcpassword", rpcpassword)
        entries.appendFlag("metrics-port", metricsPort)
        entries.appendFlag("loglevel", loglevel)
        entries.appendFlag("printtoconsole", printtoconsole)
        entries.appendFlag("reindex", reindex)
        entries.appendFlag("mocktime", mocktime)
        entries.appendFlag("randomx-mode", randomxMode)
        entries.appendFlag("legacy-regtest", legacyRegtest)
        entries.appendFlag("attestbind", attestbind)
        entries.appendFlag("asn-db", asnDB)
        entries.appendFlag("datacenter-asns", datacenterASNs)
        entries.appendFlag("attest-key", attestKey)
        entries.appendFlag("attest-seed-keys", attestSeedKeys)
        entries.appendFlag("attestation-rate-limit", attestationRateLimit)
        entries.appendFlag("routable-subnet", routableSubnet)
        return entries
    }

    func run() throws {
        let options: NodeOptions
        do {
            options = try NodeOptions.resolve(commandLine: entries, environment: OptionEntry.processEnvironment())
        } catch {
            printError(error.line(program: "dilithion-node"))
            throw ExitCode(ConfigurationError.exitCode)
        }
        throw ExitCode(NodeRunner(options: options).run())
    }
}
