#if canImport(Glibc)
import Glibc
#endif
import DilithionRandomX
import DilithionWire

/// Merging and validating the command line and the configuration file.
extension NodeOptions {
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

    /// Resolves the options: `--network` and `--datadir` first (they locate the file), then the
    /// file (`--conf`, else `<datadir>/dilithion.conf` if present), then every other flag over
    /// the file's value (a repeated flag replaces the file's whole list).
    ///
    /// - Parameters:
    ///   - commandLine: the flags as entries (keys without dashes).
    ///   - environment: for `HOME` (the default data directory).
    ///   - readFile: returns a file's entries, nil when it does not exist; throws when it cannot be
    ///     read or parsed.
    /// - Throws: the first bad option or value, as one line naming it.
    public static func resolve(
        commandLine: [OptionEntry],
        environment: [String: String],
        readFile: (String) throws(ConfigurationError) -> [OptionEntry]? = NodeOptions.readConfigFileIfPresent
    ) throws(ConfigurationError) -> NodeOptions {
        for entry in commandLine where !isKnown(entry.key) {
            throw ConfigurationError("\(entry.label): unknown option")
        }
        let network = try resolveNetwork(commandLine.last { $0.key == "network" })
        let dataDirectory = try resolveDataDirectory(commandLine.last { $0.key == "datadir" }, network: network,
                                                     environment: environment)
        var options = NodeOptions(network: network, dataDirectory: dataDirectory)

        var fileEntries: [OptionEntry] = []
        if let conf = commandLine.last(where: { $0.key == "conf" }) {
            guard !conf.value.isEmpty else { throw ConfigurationError("\(conf.label): empty path") }
            let path = expandHome(conf.value, environment: environment)
            guard let entries = try readFile(path) else {
                throw ConfigurationError("\(conf.label): \"\(conf.value)\" does not exist")
            }
            fileEntries = entries
            options.configFile = path
        } else {
            let path = dataDirectory + "/" + defaultConfigFileName
            if let entries = try readFile(path) {
                fileEntries = entries
                options.configFile = path
            }
        }
        try checkFileEntries(fileEntries)

        var merged: [String: [OptionEntry]] = [:]
        for entry in fileEntries { merged[entry.key, default: []].append(entry) }
        var fromCommandLine: [String: [OptionEntry]] = [:]
        for entry in commandLine where !commandLineOnlyKeys.contains(entry.key) {
            fromCommandLine[entry.key, default: []].append(entry)
        }
        for (key, entries) in fromCommandLine { merged[key] = entries }
        try options.apply(merged, environment: environment)
        return options
    }

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

    private static func resolveNetwork(_ entry: OptionEntry?) throws(ConfigurationError) -> Network {
        guard let entry else { return .regtest }
        guard let network = Network(rawValue: entry.value) else {
            let names = Network.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a network (\(names))")
        }
        return network
    }

    private static func resolveDataDirectory(
        _ entry: OptionEntry?, network: Network, environment: [String: String]
    ) throws(ConfigurationError) -> String {
        if let entry {
            guard !entry.value.isEmpty else { throw ConfigurationError("\(entry.label): empty path") }
            var path = expandHome(entry.value, environment: environment)
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return path
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw ConfigurationError("--datadir: not given and HOME is not set")
        }
        return "\(home)/.dilithion-swift/\(network.rawValue)"
    }

    static func expandHome(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = environment["HOME"], !home.isEmpty else { return path }
        return home + path.dropFirst()
    }

    /// Validates and stores every merged setting. Order matters only where one value is the
    /// default of another (`port` for `bind`, `rpcport` for `rpcbind`).
    private mutating func apply(_ settings: [String: [OptionEntry]], environment: [String: String]) throws(ConfigurationError) {
        func single(_ key: String) -> OptionEntry? { settings[key]?.last }
        func list(_ key: String) -> [OptionEntry] { settings[key] ?? [] }

        if let entry = single("port") {
            port = try Self.port(entry, allowZero: false)
            portIsExplicit = true
        }
        if let entry = single("rpcport") { rpcPort = try Self.port(entry, allowZero: false) }
        if let entry = single("metrics-port") { metricsPort = try Self.port(entry, allowZero: true) }
        if let entry = single("maxconnections") { maxConnections = try Self.integer(entry, in: 0...100_000, what: "number of connections") }
        if let entry = single("max-connections-per-ip") {
            maxConnectionsPerIP = try Self.integer(entry, in: 1...100_000, what: "number of connections")
        }
        if let entry = single("externalip") {
            guard Endpoint.isIPLiteral(entry.value) else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a numeric IP address")
            }
            externalIP = entry.value
        }
        bind = try list("bind").map { entry throws(ConfigurationError) in
            try Self.endpoint(entry, defaultPort: port, allowZeroPort: true, example: "0.0.0.0:\(port) or [::]:\(port)")
        }
        let peerPort = network.parameters.defaultPort
        let peerExample = "127.0.0.1:\(peerPort) or [::1]:\(peerPort)"
        connect = try list("connect").map { entry throws(ConfigurationError) in
            try Self.endpoint(entry, defaultPort: peerPort, allowZeroPort: false, example: peerExample)
        }
        addNodes = try list("addnode").map { entry throws(ConfigurationError) in
            try Self.endpoint(entry, defaultPort: peerPort, allowZeroPort: false, example: peerExample)
        }
        seedNodes = try list("seednode").map { entry throws(ConfigurationError) in
            try Self.endpoint(entry, defaultPort: peerPort, allowZeroPort: false, example: peerExample)
        }
        let rpcBindEntries = list("rpcbind")
        if !rpcBindEntries.isEmpty {
            rpcBind = try rpcBindEntries.map { entry throws(ConfigurationError) in
                try Self.endpoint(entry, defaultPort: rpcPort, allowZeroPort: false, example: "127.0.0.1 or [::1]:\(rpcPort)")
            }
        } else {
            rpcBind = [Endpoint(host: "127.0.0.1", port: rpcPort)]
        }
        rpcCredentials = try Self.credentials(user: single("rpcuser"), password: single("rpcpassword"))
        if let entry = single("loglevel") {
            switch LogLevels.parse(entry.value) {
            case .success(let levels): logLevels = levels
            case .failure(let error): throw ConfigurationError("\(entry.label): \(error)")
            }
        }
        if let entry = single("printtoconsole") { printToConsole = try Self.boolean(entry) }
        if let entry = single("reindex") { reindex = try Self.boolean(entry) }
        if let entry = single("mocktime") {
            guard let value = Int64(entry.value), value >= 0 else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a unix time (seconds, 0 or more)")
            }
            guard network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest")
            }
            mockTime = value
        }
        if let entry = single("randomx-mode") {
            guard let mode = RandomXMode(rawValue: entry.value) else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not light, full or auto")
            }
            randomXMode = mode
        }
        if let entry = single("legacy-regtest") {
            legacyRegtest = try Self.boolean(entry)
            guard !legacyRegtest || network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest")
            }
        }
        try applyAttestation(single: single, list: list, environment: environment)
        routableSubnets = try list("routable-subnet").map { entry throws(ConfigurationError) in
            guard network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest (public networks relay public addresses only)")
            }
            guard let subnet = IPSubnet(entry.value) else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a subnet in CIDR notation (e.g. 10.0.0.0/8)")
            }
            return subnet
        }
    }

    static func port(_ entry: OptionEntry, allowZero: Bool) throws(ConfigurationError) -> UInt16 {
        let range = allowZero ? 0...65535 : 1...65535
        guard let value = Int(entry.value), range.contains(value) else {
            let bounds = allowZero ? "0-65535, 0 = off" : "1-65535"
            throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a port (\(bounds))")
        }
        return UInt16(value)
    }

    static func integer(_ entry: OptionEntry, in range: ClosedRange<Int>, what: String) throws(ConfigurationError) -> Int {
        guard let value = Int(entry.value), range.contains(value) else {
            throw ConfigurationError(
                "\(entry.label): \"\(entry.value)\" is not a \(what) (\(range.lowerBound)-\(range.upperBound))")
        }
        return value
    }

    private static func boolean(_ entry: OptionEntry) throws(ConfigurationError) -> Bool {
        switch entry.value.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a boolean (1 or 0)")
        }
    }

    static func endpoint(
        _ entry: OptionEntry, defaultPort: UInt16, allowZeroPort: Bool, example: String
    ) throws(ConfigurationError) -> Endpoint {
        guard let endpoint = Endpoint.parse(entry.value, defaultPort: defaultPort), allowZeroPort || endpoint.port != 0 else {
            throw ConfigurationError(
                "\(entry.label): \"\(entry.value)\" is not a numeric IP address with an optional port (e.g. \(example))")
        }
        return endpoint
    }

    private static func credentials(user: OptionEntry?, password: OptionEntry?) throws(ConfigurationError) -> RPCCredentials? {
        switch (user, password) {
        case (nil, nil): return nil
        case (let user?, nil): throw ConfigurationError("--rpcpassword: required with \(user.label)")
        case (nil, let password?): throw ConfigurationError("--rpcuser: required with \(password.label)")
        case (let user?, let password?):
            guard !user.value.isEmpty, !user.value.contains(":") else {
                throw ConfigurationError("\(user.label): must be non-empty and contain no ':'")
            }
            guard !password.value.isEmpty else { throw ConfigurationError("\(password.label): must be non-empty") }
            return RPCCredentials(user: user.value, password: password.value)
        }
    }
}
