#if canImport(Glibc)
import Glibc
#endif
import DilithionWire

/// The settings of `dilithion-node` as read, before their values are checked: the command line
/// merged over the configuration file. Reading catches what is wrong with the input itself (an
/// unknown option, a command-line-only option in the file, a single-value option twice in the
/// file, a file that is missing or unreadable); ``NodeOptions`` then validates each value and
/// fills in the defaults (``NodeOptions/resolve(commandLine:environment:readFile:)``).
///
/// `--network` and `--datadir` are read first and resolved here, because they locate the file.
public struct NodeArguments: Sendable, Equatable {
    /// Options that take one value (a second one in the file is an error).
    public static let singleValueKeys: Set<String> = [
        "port", "maxconnections", "max-connections-per-ip", "externalip", "rpcport", "rpcuser", "rpcpassword",
        "metrics-port", "loglevel", "printtoconsole", "reindex", "mocktime", "randomx-mode", "legacy-regtest",
        "asn-db", "datacenter-asns", "attest-key", "attest-seed-keys", "attestation-rate-limit",
    ]
    /// Options that may be repeated, one value each.
    public static let listKeys: Set<String> = [
        "bind", "connect", "addnode", "seednode", "rpcbind", "attestbind", "routable-subnet",
    ]
    /// Options that choose the file itself, so they cannot be in it.
    public static let commandLineOnlyKeys: Set<String> = ["network", "datadir", "conf"]
    /// The file read from the data directory when `--conf` is not given (if it exists).
    public static let defaultConfigFileName = "dilithion.conf"

    /// `--network` (default regtest).
    public let network: Network
    /// `--datadir`, `~` expanded, without a trailing slash (default `~/.dilithion-swift/<network>`).
    public let dataDirectory: String
    /// The configuration file that was read, if any.
    public let configFile: String?
    /// The environment the values are read in (for `HOME`, which `~` in a path stands for).
    public let environment: [String: String]
    /// Every other setting by key: a key given on the command line replaces the file's entries
    /// for it (a repeated flag replaces the file's whole list).
    private let settings: [String: [OptionEntry]]

    /// Reads the settings: `--network` and `--datadir` first, then the file (`--conf`, else
    /// `<datadir>/dilithion.conf` if present), then every other flag over the file's value.
    ///
    /// - Parameters:
    ///   - commandLine: the flags as entries (keys without dashes).
    ///   - environment: for `HOME` (the default data directory, `~` in paths).
    ///   - readFile: returns a file's entries, nil when it does not exist; throws when it cannot be
    ///     read or parsed.
    /// - Throws: the first bad option, as one line naming it.
    public init(
        commandLine: [OptionEntry],
        environment: [String: String],
        readFile: (String) throws(ConfigurationError) -> [OptionEntry]? = NodeArguments.readConfigFileIfPresent
    ) throws(ConfigurationError) {
        for entry in commandLine where !Self.isKnown(entry.key) {
            throw ConfigurationError("\(entry.label): unknown option")
        }
        network = try Self.network(commandLine.last { $0.key == "network" })
        dataDirectory = try Self.dataDirectory(commandLine.last { $0.key == "datadir" }, network: network,
                                               environment: environment)
        self.environment = environment

        var fileEntries: [OptionEntry] = []
        var configFile: String?
        if let conf = commandLine.last(where: { $0.key == "conf" }) {
            let path = try conf.path(environment: environment)
            guard let entries = try readFile(path) else {
                throw ConfigurationError("\(conf.label): \"\(conf.value)\" does not exist")
            }
            fileEntries = entries
            configFile = path
        } else {
            let path = dataDirectory + "/" + Self.defaultConfigFileName
            if let entries = try readFile(path) {
                fileEntries = entries
                configFile = path
            }
        }
        self.configFile = configFile
        try Self.checkFileEntries(fileEntries)

        var merged: [String: [OptionEntry]] = [:]
        for entry in fileEntries { merged[entry.key, default: []].append(entry) }
        var fromCommandLine: [String: [OptionEntry]] = [:]
        for entry in commandLine where !Self.commandLineOnlyKeys.contains(entry.key) {
            fromCommandLine[entry.key, default: []].append(entry)
        }
        for (key, entries) in fromCommandLine { merged[key] = entries }
        settings = merged
    }

    /// The setting of a single-value option, nil when not given.
    public func value(_ key: String) -> OptionEntry? { settings[key]?.last }

    /// Every value of a list option, empty when not given.
    public func values(_ key: String) -> [OptionEntry] { settings[key] ?? [] }

    /// The default file reader: nil when `path` does not exist, else ``ConfigFile/load(path:)``.
    public static func readConfigFileIfPresent(_ path: String) throws(ConfigurationError) -> [OptionEntry]? {
        guard access(path, F_OK) == 0 else { return nil }
        return try ConfigFile.load(path: path)
    }

    private static func isKnown(_ key: String) -> Bool {
        singleValueKeys.contains(key) || listKeys.contains(key) || commandLineOnlyKeys.contains(key)
    }

    private static func checkFileEntries(_ entries: [OptionEntry]) throws(ConfigurationError) {
        var firstLine: [String: OptionEntry] = [:]
        for entry in entries {
            if commandLineOnlyKeys.contains(entry.key) {
                throw ConfigurationError("\(entry.label): only allowed on the command line (--\(entry.key))")
            }
            guard isKnown(entry.key) else { throw ConfigurationError("\(entry.label): unknown option") }
            if singleValueKeys.contains(entry.key), let first = firstLine[entry.key] {
                throw ConfigurationError("\(entry.label): given more than once (first: \(first.label))")
            }
            firstLine[entry.key] = firstLine[entry.key] ?? entry
        }
    }

    private static func network(_ entry: OptionEntry?) throws(ConfigurationError) -> Network {
        guard let entry else { return .regtest }
        guard let network = Network(rawValue: entry.value) else {
            let names = Network.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a network (\(names))")
        }
        return network
    }

    private static func dataDirectory(
        _ entry: OptionEntry?, network: Network, environment: [String: String]
    ) throws(ConfigurationError) -> String {
        if let entry {
            var path = try entry.path(environment: environment)
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return path
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw ConfigurationError("--datadir: not given and HOME is not set")
        }
        return "\(home)/.dilithion-swift/\(network.rawValue)"
    }
}
