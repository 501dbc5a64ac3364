import DilithionRandomX
import DilithionWire

/// Resolution: the settings read by ``NodeArguments``, each value validated, over the defaults of
/// the network and the data directory.
extension NodeOptions {
    /// Reads the command line and the configuration file (``NodeArguments``) and resolves them:
    /// `--network` and `--datadir` first (they locate the file), then the file (`--conf`, else
    /// `<datadir>/dilithion.conf` if present), then every other flag over the file's value (a
    /// repeated flag replaces the file's whole list).
    ///
    /// - Parameters:
    ///   - commandLine: the flags as entries (keys without dashes).
    ///   - environment: for `HOME` (the default data directory, `~` in paths).
    ///   - readFile: returns a file's entries, nil when it does not exist; throws when it cannot be
    ///     read or parsed.
    /// - Throws: the first bad option or value, as one line naming it.
    public static func resolve(
        commandLine: [OptionEntry],
        environment: [String: String],
        readFile: (String) throws(ConfigurationError) -> [OptionEntry]? = NodeArguments.readConfigFileIfPresent
    ) throws(ConfigurationError) -> NodeOptions {
        try NodeOptions(arguments: NodeArguments(commandLine: commandLine, environment: environment, readFile: readFile))
    }

    /// Validates every setting of `arguments` over the defaults of its network and data directory.
    /// Order matters only where one value is the default of another (`port` for `bind`, `rpcport`
    /// for `rpcbind`).
    public init(arguments: NodeArguments) throws(ConfigurationError) {
        self.init(network: arguments.network, dataDirectory: arguments.dataDirectory)
        configFile = arguments.configFile

        if let entry = arguments.value("port") {
            port = try entry.port(allowZero: false)
            portIsExplicit = true
        }
        if let entry = arguments.value("rpcport") { rpcPort = try entry.port(allowZero: false) }
        if let entry = arguments.value("metrics-port") { metricsPort = try entry.port(allowZero: true) }
        if let entry = arguments.value("maxconnections") { maxConnections = try entry.integer(in: 0...100_000, what: "number of connections") }
        if let entry = arguments.value("max-connections-per-ip") {
            maxConnectionsPerIP = try entry.integer(in: 1...100_000, what: "number of connections")
        }
        if let entry = arguments.value("externalip") {
            guard Endpoint.isIPLiteral(entry.value) else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a numeric IP address")
            }
            externalIP = entry.value
        }
        bind = try arguments.values("bind").map { entry throws(ConfigurationError) in
            try entry.endpoint(defaultPort: port, allowZeroPort: true, example: "0.0.0.0:\(port) or [::]:\(port)")
        }
        let peerPort = network.parameters.defaultPort
        let peerExample = "127.0.0.1:\(peerPort) or [::1]:\(peerPort)"
        connect = try arguments.values("connect").map { entry throws(ConfigurationError) in
            try entry.endpoint(defaultPort: peerPort, allowZeroPort: false, example: peerExample)
        }
        addNodes = try arguments.values("addnode").map { entry throws(ConfigurationError) in
            try entry.endpoint(defaultPort: peerPort, allowZeroPort: false, example: peerExample)
        }
        seedNodes = try arguments.values("seednode").map { entry throws(ConfigurationError) in
            try entry.endpoint(defaultPort: peerPort, allowZeroPort: false, example: peerExample)
        }
        let rpcBindEntries = arguments.values("rpcbind")
        if !rpcBindEntries.isEmpty {
            rpcBind = try rpcBindEntries.map { entry throws(ConfigurationError) in
                try entry.endpoint(defaultPort: rpcPort, allowZeroPort: false, example: "127.0.0.1 or [::1]:\(rpcPort)")
            }
        } else {
            rpcBind = [Endpoint(host: "127.0.0.1", port: rpcPort)]
        }
        rpcCredentials = try Self.credentials(user: arguments.value("rpcuser"), password: arguments.value("rpcpassword"))
        if let entry = arguments.value("loglevel") {
            switch LogLevels.parse(entry.value) {
            case .success(let levels): logLevels = levels
            case .failure(let error): throw ConfigurationError("\(entry.label): \(error)")
            }
        }
        if let entry = arguments.value("printtoconsole") { printToConsole = try entry.boolean() }
        if let entry = arguments.value("reindex") { reindex = try entry.boolean() }
        if let entry = arguments.value("mocktime") {
            guard let value = Int64(entry.value), value >= 0 else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a unix time (seconds, 0 or more)")
            }
            guard network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest")
            }
            mockTime = value
        }
        if let entry = arguments.value("randomx-mode") {
            guard let mode = RandomXMode(rawValue: entry.value) else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not light, full or auto")
            }
            randomXMode = mode
        }
        if let entry = arguments.value("legacy-regtest") {
            legacyRegtest = try entry.boolean()
            guard !legacyRegtest || network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest")
            }
        }
        try applyAttestation(arguments)
        routableSubnets = try arguments.values("routable-subnet").map { entry throws(ConfigurationError) in
            guard network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest (public networks relay public addresses only)")
            }
            guard let subnet = IPSubnet(entry.value) else {
                throw ConfigurationError("\(entry.label): \"\(entry.value)\" is not a subnet in CIDR notation (e.g. 10.0.0.0/8)")
            }
            return subnet
        }
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
