import Foundation
import Testing
@testable import DilithionOps

/// The built `dilithion-node` end to end over loopback: start, RPC with the cookie, SIGTERM → exit 0
/// with the cookie removed, the data directory lock, restart on the same tip, `stop` RPC.
/// Waits are bounded (60 s) but nothing asserts on durations.
@Suite(.serialized) struct NodeProcessTests {
    @Test func sigtermShutsDownCleanlyAndTheNodeRestartsOnTheSameTip() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeProcess.binary.path),
                     "build dilithion-node first (swift build): \(NodeProcess.binary.path)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rpcPort = try NodeProcess.freePort()
        let arguments = ["--network", "regtest", "--datadir", directory, "--bind", "127.0.0.1:0",
                         "--rpcport", String(rpcPort), "--printtoconsole", "--mocktime", "1900000000"]

        let first = try NodeProcess(arguments: arguments, outputPath: directory + ".first.log")
        let endpoint = Endpoint(host: "127.0.0.1", port: rpcPort)
        let tip: JSON = try NodeProcess.retry(seconds: 60) {
            let client = RPCClient(endpoint: endpoint, credentials: try CookieFile.read(path: directory + "/.cookie"))
            _ = try client.call("generate", params: [.int(3), .int(500)])
            return try client.call("getbestblockhash", params: [])
        }
        let client = RPCClient(endpoint: endpoint, credentials: try CookieFile.read(path: directory + "/.cookie"))
        #expect(try client.call("getblockcount", params: []) == .int(3))

        let second = try NodeProcess(arguments: arguments, outputPath: directory + ".second.log")
        #expect(second.waitForExit(seconds: 60) == 1)
        #expect(second.output.contains("another dilithion-node is already running with this data directory"))

        first.send(SIGTERM)
        #expect(first.waitForExit(seconds: 60) == 0, "output:\n\(first.output)")
        #expect(first.output.contains("shutdown requested reason=SIGTERM"))
        #expect(first.output.contains("shutdown complete exit=0"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/.cookie"))

        let restarted = try NodeProcess(arguments: arguments, outputPath: directory + ".third.log")
        let restartedTip: JSON = try NodeProcess.retry(seconds: 60) {
            let client = RPCClient(endpoint: endpoint, credentials: try CookieFile.read(path: directory + "/.cookie"))
            return try client.call("getbestblockhash", params: [])
        }
        #expect(restartedTip == tip)
        let again = RPCClient(endpoint: endpoint, credentials: try CookieFile.read(path: directory + "/.cookie"))
        #expect(try again.call("stop", params: []) == .string("Dilithion node stopping"))
        #expect(restarted.waitForExit(seconds: 60) == 0, "output:\n\(restarted.output)")
        for suffix in [".first.log", ".second.log", ".third.log"] { try? FileManager.default.removeItem(atPath: directory + suffix) }
    }

    /// `generate` takes `--network regtest` like `run` does, and refuses any other network in one line.
    @Test func generateAcceptsTheRegtestNetworkFlag() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeProcess.binary.path))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-generate-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            for suffix in [".log", ".mainnet.log"] { try? FileManager.default.removeItem(atPath: directory + suffix) }
        }
        let generate = try NodeProcess(
            arguments: ["generate", "--network", "regtest", "--datadir", directory, "--blocks", "3", "--blocksize", "200"],
            outputPath: directory + ".log")
        #expect(generate.waitForExit(seconds: 60) == 0, "output:\n\(generate.output)")
        #expect(generate.output.contains("\"tip_height\":3"), "output:\n\(generate.output)")
        let mainnet = try NodeProcess(
            arguments: ["generate", "--network", "mainnet", "--datadir", directory, "--blocks", "3"],
            outputPath: directory + ".mainnet.log")
        #expect(mainnet.waitForExit(seconds: 60) == 2)
        #expect(mainnet.output == "dilithion-node generate: --network: \"mainnet\" has no generated chain (only regtest)\n")
    }

    @Test func aBadOptionIsOneLineAndExitStatusTwo() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeProcess.binary.path))
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ops-bad-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let node = try NodeProcess(arguments: ["--port", "70000", "--datadir", "/nonexistent"], outputPath: log)
        #expect(node.waitForExit(seconds: 60) == 2)
        #expect(node.output == "dilithion-node: --port: \"70000\" is not a port (1-65535)\n")
        let unknown = try NodeProcess(arguments: ["--no-such-flag"], outputPath: log + "2")
        defer { try? FileManager.default.removeItem(atPath: log + "2") }
        #expect(unknown.waitForExit(seconds: 60) == 2)
        #expect(unknown.output.split(separator: "\n").count == 1)
    }
}
