/// The seed attestation options (issue 18): validated together, since they only make sense as a set.
extension NodeOptions {
    /// Stores and checks `attestbind`, `asn-db`, `datacenter-asns`, `attest-key`, `attest-seed-keys`
    /// and `attestation-rate-limit`. Runs after `rpcbind` is known (the two may not overlap).
    mutating func applyAttestation(_ arguments: NodeArguments) throws(ConfigurationError) {
        func path(_ entry: OptionEntry) throws(ConfigurationError) -> String { try entry.path(environment: arguments.environment) }
        let rpcPort = network.parameters.defaultRPCPort
        attestBind = try arguments.values("attestbind").map { entry throws(ConfigurationError) in
            try entry.endpoint(defaultPort: rpcPort, allowZeroPort: true,
                              example: "203.0.113.5 (the seed's public address; port \(rpcPort), where miners call)")
        }
        if let entry = arguments.value("asn-db") { asnDatabasePath = try path(entry) }
        if let entry = arguments.value("datacenter-asns") { datacenterASNsPath = try path(entry) }
        if let entry = arguments.value("attest-key") { attestKeyPath = try path(entry) }
        if let entry = arguments.value("attest-seed-keys") {
            guard network == .regtest else {
                throw ConfigurationError("\(entry.label): only allowed with --network regtest "
                    + "(the \(network.rawValue) seed keys are part of the chain parameters)")
            }
            attestSeedKeysPath = try path(entry)
        }
        if let entry = arguments.value("attestation-rate-limit") {
            attestationRateLimit = try entry.integer(in: 1...100, what: "number of new MIKs per /24 per day")
        }
        guard let first = arguments.values("attestbind").first else { return }
        guard network != .testnet else { throw ConfigurationError("\(first.label): testnet has no seed attestation") }
        guard asnDatabasePath != nil else {
            throw ConfigurationError("--asn-db: required with \(first.label) (iptoasn's ip2asn-v4.tsv)")
        }
        if network == .regtest && attestSeedKeysPath == nil {
            throw ConfigurationError("--attest-seed-keys: required with \(first.label) on regtest (one hex public key per line)")
        }
        for (entry, endpoint) in zip(arguments.values("attestbind"), attestBind) {
            if let clash = rpcBind.first(where: { Self.overlap($0, endpoint) }) {
                throw ConfigurationError("\(entry.label): \(endpoint) overlaps the admin RPC on \(clash); bind the attestation "
                    + "port to the public address (e.g. --attestbind 203.0.113.5) or move the admin RPC (--rpcport)")
            }
        }
    }

    /// Whether two listeners would collide: same port, and the same host or either a wildcard.
    static func overlap(_ lhs: Endpoint, _ rhs: Endpoint) -> Bool {
        guard lhs.port == rhs.port, lhs.port != 0, lhs.isIPv6 == rhs.isIPv6 else { return false }
        let wildcards: Set<String> = ["0.0.0.0", "::"]
        return lhs.host == rhs.host || wildcards.contains(lhs.host) || wildcards.contains(rhs.host)
    }
}
