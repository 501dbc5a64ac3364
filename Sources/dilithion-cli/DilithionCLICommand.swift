import ArgumentParser
import DilithionOps
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// `dilithion-cli`: calls one JSON-RPC method on a running node and prints the result.
@main
struct DilithionCLICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dilithion-cli",
        abstract: "Send one JSON-RPC command to a running dilithion-node.",
        discussion: """
            Authenticates with the cookie in the data directory (<datadir>/.cookie) unless --rpcuser \
            and --rpcpassword are given. Parameters that are JSON (numbers, true/false, null, objects, \
            arrays) are sent as JSON, everything else as strings. Results: strings print raw, other \
            values as indented JSON. Exit status: 0 success, 1 RPC or connection error, 2 usage error.
            Examples: dilithion-cli getblockchaininfo; dilithion-cli getblockhash 10; \
            dilithion-cli --network testnet getpeerinfo; dilithion-cli generate 100 50000 (regtest).
            """
    )

    @Option(help: "mainnet, testnet, dilv or regtest (default regtest): picks the RPC port and data directory.")
    var network: String = "regtest"

    @Option(help: "Data directory holding the cookie (default ~/.dilithion-swift/<network>).")
    var datadir: String?

    @Option(help: "Node RPC address (default 127.0.0.1).")
    var rpcconnect: String = "127.0.0.1"

    @Option(help: "Node RPC port (default: the network's RPC port).")
    var rpcport: String?

    @Option(help: "RPC user (with --rpcpassword; otherwise the cookie is used).")
    var rpcuser: String?

    @Option(help: "RPC password.")
    var rpcpassword: String?

    @Argument(help: "The method, e.g. getblockchaininfo.")
    var method: String

    @Argument(parsing: .captureForPassthrough, help: "Parameters of the method.")
    var params: [String] = []

    static func main() {
        let command: DilithionCLICommand
        do {
            let parsed = try parseAsRoot()
            // `--help` parses as ArgumentParser's own help command: print it and exit 0.
            guard let ours = parsed as? DilithionCLICommand else {
                print(helpMessage())
                exit(withError: nil)
            }
            command = ours
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            fail("dilithion-cli: \(message(for: error))", status: 2)
        }
        command.execute()
    }

    private func execute() {
        guard let chosen = Network(rawValue: network) else {
            let names = Network.allCases.map(\.rawValue).joined(separator: ", ")
            Self.fail("dilithion-cli: --network: \"\(network)\" is not a network (\(names))", status: 2)
        }
        var port = chosen.parameters.defaultRPCPort
        if let rpcport {
            guard let value = UInt16(rpcport), value > 0 else {
                Self.fail("dilithion-cli: --rpcport: \"\(rpcport)\" is not a port (1-65535)", status: 2)
            }
            port = value
        }
        guard let endpoint = Endpoint.parse(rpcconnect, defaultPort: port), endpoint.port != 0 else {
            Self.fail("dilithion-cli: --rpcconnect: \"\(rpcconnect)\" is not a numeric IP address", status: 2)
        }
        let credentials: RPCCredentials
        switch (rpcuser, rpcpassword) {
        case let (user?, password?):
            credentials = RPCCredentials(user: user, password: password)
        case (nil, nil):
            let home = getenv("HOME").map { String(cString: $0) } ?? ""
            let directory = datadir ?? "\(home)/.dilithion-swift/\(chosen.rawValue)"
            do {
                credentials = try CookieFile.read(path: directory + "/.cookie")
            } catch {
                Self.fail("dilithion-cli: \(error)", status: 1)
            }
        default:
            Self.fail("dilithion-cli: --rpcuser and --rpcpassword go together", status: 2)
        }
        let client = RPCClient(endpoint: endpoint, credentials: credentials)
        do {
            let result = try client.call(method, params: params.map(CLIParameter.parse))
            if let text = CLIParameter.display(result) { print(text) }
        } catch {
            Self.fail("\(error)", status: 1)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        let line = message + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        Glibc.exit(status)
    }
}
