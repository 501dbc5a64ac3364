import DilithionWire
import Testing
@testable import DilithionOps

@Suite struct ConfigurationTests {
    static let environment = ["HOME": "/home/op"]

    static func flags(_ pairs: [(String, String)]) -> [OptionEntry] {
        pairs.map { OptionEntry(key: $0.0, value: $0.1, source: .commandLine) }
    }

    static func resolve(_ pairs: [(String, String)], file: String? = nil) throws(ConfigurationError) -> NodeOptions {
        try NodeOptions.resolve(commandLine: flags(pairs), environment: environment) { path throws(ConfigurationError) in
            guard let file else { return nil }
            return try ConfigFile.parse(file, path: path)
        }
    }

    static func message(_ pairs: [(String, String)], file: String? = nil) -> String? {
        do {
            _ = try resolve(pairs, file: file)
            return nil
        } catch {
            return error.line(program: "dilithion-node")
        }
    }

    @Test func defaultsFollowTheNetwork() throws {
        let regtest = try Self.resolve([])
        #expect(regtest.network == .regtest)
        #expect(regtest.dataDirectory == "/home/op/.dilithion-swift/regtest")
        #expect(regtest.port == 18744)
        #expect(regtest.rpcBind == [Endpoint(host: "127.0.0.1", port: 18745)])
        #expect(regtest.metricsPort == 0)
        #expect(regtest.configFile == nil)
        let mainnet = try Self.resolve([("network", "mainnet")])
        #expect(mainnet.port == 8444)
        #expect(mainnet.rpcPort == 8332)
        #expect(mainnet.dataDirectory == "/home/op/.dilithion-swift/mainnet")
        #expect(try Self.resolve([("network", "dilv")]).rpcPort == 9332)
        #expect(try Self.resolve([("network", "testnet")]).rpcPort == 18332)
    }

    @Test func readsTheFileWithCommentsListsAndWhitespace() throws {
        let file = """
            # a seed node
            port = 19000
            addnode=10.0.0.1
            addnode=[2001:db8::1]:19001   # second
            maxconnections=500\r
            max-connections-per-ip=4

            loglevel=info,net=debug
            printtoconsole=1
            rpcuser=alice
            rpcpassword=secret
            metrics-port=9100
            """
        let options = try Self.resolve([("datadir", "/srv/d")], file: file)
        #expect(options.configFile == "/srv/d/dilithion.conf")
        #expect(options.port == 19000)
        #expect(options.addNodes == [Endpoint(host: "10.0.0.1", port: 18744), Endpoint(host: "2001:db8::1", port: 19001)])
        #expect(options.maxConnections == 500)
        #expect(options.maxConnectionsPerIP == 4)
        #expect(options.logLevels == LogLevels(defaultLevel: .info, overrides: [.net: .debug]))
        #expect(options.printToConsole)
        #expect(options.rpcCredentials == RPCCredentials(user: "alice", password: "secret"))
        #expect(options.metricsPort == 9100)
    }

    @Test func flagsOverrideTheFileAndReplaceItsLists() throws {
        let file = "port=19000\naddnode=10.0.0.1\naddnode=10.0.0.2\nrpcport=19001\n"
        let options = try Self.resolve([("port", "19500"), ("addnode", "10.0.0.9")], file: file)
        #expect(options.port == 19500)
        #expect(options.addNodes == [Endpoint(host: "10.0.0.9", port: 18744)])
        #expect(options.rpcPort == 19001)
        #expect(options.rpcBind == [Endpoint(host: "127.0.0.1", port: 19001)])
    }

    @Test func mapsToTheNodeConfiguration() throws {
        let plain = try Self.resolve([("port", "19000"), ("max-connections-per-ip", "5"), ("mocktime", "1700000000")])
        var configuration = plain.nodeConfiguration
        #expect(configuration.listen == ["0.0.0.0:19000", "[::]:19000"])
        #expect(configuration.maxInboundPerIP == 5)
        #expect(configuration.mockTime == 1_700_000_000)
        let connecting = try Self.resolve([("connect", "127.0.0.1:18744"), ("maxconnections", "4")])
        configuration = connecting.nodeConfiguration
        #expect(configuration.listen == [])
        #expect(configuration.connect == ["127.0.0.1:18744"])
        #expect(configuration.maxOutbound == 4)
        let both = try Self.resolve([("connect", "127.0.0.1"), ("bind", "127.0.0.1:0")])
        #expect(both.nodeConfiguration.listen == ["127.0.0.1:0"])
        let explicitPort = try Self.resolve([("connect", "::1"), ("port", "18800")])
        #expect(explicitPort.nodeConfiguration.listen == ["0.0.0.0:18800", "[::]:18800"])
        #expect(explicitPort.nodeConfiguration.connect == ["[::1]:18744"])
    }

    @Test func explicitConfMustExist() {
        #expect(Self.message([("conf", "/nope.conf")]) == #"dilithion-node: --conf: "/nope.conf" does not exist"#)
    }

    @Test(arguments: [
        ([("port", "70000")], nil, #"dilithion-node: --port: "70000" is not a port (1-65535)"#),
        ([("port", "0")], nil, #"dilithion-node: --port: "0" is not a port (1-65535)"#),
        ([("port", "abc")], nil, #"dilithion-node: --port: "abc" is not a port (1-65535)"#),
        ([("rpcport", "-1")], nil, #"dilithion-node: --rpcport: "-1" is not a port (1-65535)"#),
        ([("metrics-port", "65536")], nil, #"dilithion-node: --metrics-port: "65536" is not a port (0-65535, 0 = off)"#),
        ([("network", "bitcoin")], nil, #"dilithion-node: --network: "bitcoin" is not a network (mainnet, testnet, dilv, regtest)"#),
        ([("datadir", "")], nil, "dilithion-node: --datadir: empty path"),
        ([("maxconnections", "-3")], nil, #"dilithion-node: --maxconnections: "-3" is not a number of connections (0-100000)"#),
        ([("max-connections-per-ip", "0")], nil,
         #"dilithion-node: --max-connections-per-ip: "0" is not a number of connections (1-100000)"#),
        ([("externalip", "example.com")], nil, #"dilithion-node: --externalip: "example.com" is not a numeric IP address"#),
        ([("connect", "seed.example.com:8444")], nil,
         #"dilithion-node: --connect: "seed.example.com:8444" is not a numeric IP address with an optional port (e.g. 127.0.0.1:18744 or [::1]:18744)"#),
        ([("connect", "127.0.0.1:0")], nil,
         #"dilithion-node: --connect: "127.0.0.1:0" is not a numeric IP address with an optional port (e.g. 127.0.0.1:18744 or [::1]:18744)"#),
        ([("addnode", "10.2.3.4:99999")], nil,
         #"dilithion-node: --addnode: "10.2.3.4:99999" is not a numeric IP address with an optional port (e.g. 127.0.0.1:18744 or [::1]:18744)"#),
        ([("seednode", "[::1")], nil,
         #"dilithion-node: --seednode: "[::1" is not a numeric IP address with an optional port (e.g. 127.0.0.1:18744 or [::1]:18744)"#),
        ([("bind", "1.2.3")], nil,
         #"dilithion-node: --bind: "1.2.3" is not a numeric IP address with an optional port (e.g. 0.0.0.0:18744 or [::]:18744)"#),
        ([("rpcbind", "localhost")], nil,
         #"dilithion-node: --rpcbind: "localhost" is not a numeric IP address with an optional port (e.g. 127.0.0.1 or [::1]:18745)"#),
        ([("rpcuser", "alice")], nil, "dilithion-node: --rpcpassword: required with --rpcuser"),
        ([("rpcpassword", "pw")], nil, "dilithion-node: --rpcuser: required with --rpcpassword"),
        ([("rpcuser", "a:b"), ("rpcpassword", "pw")], nil, "dilithion-node: --rpcuser: must be non-empty and contain no ':'"),
        ([("loglevel", "verbose")], nil,
         #"dilithion-node: --loglevel: "verbose" is not a level (trace, debug, info, notice, warning, error, critical) or category=level"#),
        ([("loglevel", "disk=debug")], nil,
         #"dilithion-node: --loglevel: "disk=debug" names no category (net, peer, sync, store, rpc)"#),
        ([("printtoconsole", "maybe")], nil, #"dilithion-node: --printtoconsole: "maybe" is not a boolean (1 or 0)"#),
        ([("mocktime", "soon")], nil, #"dilithion-node: --mocktime: "soon" is not a unix time (seconds, 0 or more)"#),
        ([("network", "testnet"), ("mocktime", "5")], nil, "dilithion-node: --mocktime: only allowed with --network regtest"),
        ([("network", "mainnet"), ("routable-subnet", "10.0.0.0/8")], nil,
         "dilithion-node: --routable-subnet: only allowed with --network regtest (public networks relay public addresses only)"),
        ([("routable-subnet", "10.0.0.0")], nil,
         #"dilithion-node: --routable-subnet: "10.0.0.0" is not a subnet in CIDR notation (e.g. 10.0.0.0/8)"#),
        ([("datadir", "/d")], "port=1\nport=2\n", "dilithion-node: /d/dilithion.conf:2: port: given more than once (first: /d/dilithion.conf:1: port)"),
        ([("datadir", "/d")], "# ok\nbogus=1\n", "dilithion-node: /d/dilithion.conf:2: bogus: unknown option"),
        ([("datadir", "/d")], "datadir=/x\n", "dilithion-node: /d/dilithion.conf:1: datadir: only allowed on the command line (--datadir)"),
        ([("datadir", "/d")], "just words\n", #"dilithion-node: /d/dilithion.conf:1: expected key=value, found "just words""#),
        ([("datadir", "/d")], "=5\n", "dilithion-node: /d/dilithion.conf:1: missing key before '='"),
        ([("datadir", "/d")], "\n\nrpcport=99999\n", #"dilithion-node: /d/dilithion.conf:3: rpcport: "99999" is not a port (1-65535)"#),
    ] as [([(String, String)], String?, String)])
    func everyBadValueIsOneLineNamingIt(flags: [(String, String)], file: String?, expected: String) {
        #expect(Self.message(flags, file: file) == expected)
        #expect(!expected.contains("\n"))
    }

    @Test func routableSubnetsReachTheNodeOnRegtest() throws {
        let options = try Self.resolve([("routable-subnet", "10.0.0.0/8"), ("routable-subnet", "127.0.0.0/8")])
        #expect(options.nodeConfiguration.routableSubnets.map(\.description) == ["10.0.0.0/8", "127.0.0.0/8"])
        #expect(try Self.resolve([]).nodeConfiguration.routableSubnets.isEmpty)
    }

    @Test func configurationErrorsExitWithStatusTwo() {
        #expect(ConfigurationError.exitCode == 2)
    }

    @Test func missingHomeNeedsDatadir() {
        #expect(throws: ConfigurationError("--datadir: not given and HOME is not set")) {
            try NodeOptions.resolve(commandLine: [], environment: [:]) { _ in nil }
        }
    }

    @Test func readingKeepsValuesAsWrittenAndResolutionChecksThem() throws {
        // Reading catches bad options (not bad values) and merges the flags over the file.
        let arguments = try NodeArguments(
            commandLine: Self.flags([("datadir", "~/d/"), ("port", "70000"), ("addnode", "a"), ("addnode", "b")]),
            environment: Self.environment) { path throws(ConfigurationError) in
                try ConfigFile.parse("addnode=c\nrpcport=1\n", path: path)
            }
        #expect(arguments.network == .regtest)
        #expect(arguments.dataDirectory == "/home/op/d")
        #expect(arguments.configFile == "/home/op/d/dilithion.conf")
        #expect(arguments.value("port")?.value == "70000")
        #expect(arguments.values("addnode").map(\.value) == ["a", "b"])
        #expect(arguments.value("rpcport")?.label == "/home/op/d/dilithion.conf:2: rpcport")
        #expect(arguments.value("bind") == nil && arguments.values("bind").isEmpty)
        #expect(throws: ConfigurationError(#"--port: "70000" is not a port (1-65535)"#)) {
            try NodeOptions(arguments: arguments)
        }
        #expect(throws: ConfigurationError("--bogus: unknown option")) {
            try NodeArguments(commandLine: Self.flags([("bogus", "1")]), environment: Self.environment) { _ in nil }
        }
    }
}
