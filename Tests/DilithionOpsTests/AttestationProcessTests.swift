import DilithionAttestation
import DilithionWire
import Foundation
import Testing
@testable import DilithionOps

/// The real `dilithion-node` with `--attestbind`: the wiring of options, key, data files, listener,
/// admin methods and shutdown (scripts/attestation-demo shows the same at length).
@Suite struct AttestationProcessTests {
    @Test func aRegtestSeedServesAttestationsOnItsOwnPortAndStopsCleanly() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeProcess.binary.path))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attest-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = try SeedAttestationKey(seed: [UInt8](repeating: 5, count: 32))
        try SeedKeyFile.write(key, to: directory + "/seed-attestation.key")
        let stranger = [UInt8](repeating: 0x77, count: 1952)
        try Data((HexCoding.encode(stranger) + "\n" + HexCoding.encode(key.publicKey) + "\n").utf8)
            .write(to: URL(fileURLWithPath: directory + "/seeds"))
        try Data(AttestationEndpointTests.asnTable.utf8).write(to: URL(fileURLWithPath: directory + "/asn.tsv"))
        try Data("AS64502\n".utf8).write(to: URL(fileURLWithPath: directory + "/datacenter-asns.txt"))
        let rpcPort = try NodeProcess.freePort()
        let attestPort = try NodeProcess.freePort()
        let node = try NodeProcess(arguments: [
            "--network", "regtest", "--datadir", directory, "--bind", "127.0.0.1:0", "--rpcport", String(rpcPort),
            "--printtoconsole", "--attestbind", "127.0.0.1:\(attestPort)", "--asn-db", directory + "/asn.tsv",
            "--attest-seed-keys", directory + "/seeds",
        ], outputPath: directory + ".log")
        defer { try? FileManager.default.removeItem(atPath: directory + ".log") }
        let call = AttestationEndpointTests.minerRequest(AttestationEndpointTests.attestationCall())
        let result: JSON = try NodeProcess.retry(seconds: 60) {
            guard let result = AttestationEndpointTests.exchange(attestPort, from: "127.0.1.10", call).1?["result"] else {
                throw RPCClientError.transport("not serving yet")
            }
            return result
        }
        #expect(result["seed_id"] == .int(1))  // matched against the second key of the list
        let signature = try #require(result["signature"]?.stringValue)
        let (_, datacenter) = AttestationEndpointTests.exchange(attestPort, from: "127.0.2.3", call)
        #expect(datacenter?["error"]?["message"]?.stringValue?.hasPrefix("Mining not available from datacenter/VPN IPs.") == true)
        let (_, other) = AttestationEndpointTests.exchange(
            attestPort, from: "127.0.1.10", AttestationEndpointTests.minerRequest(#"{"jsonrpc":"2.0","id":1,"method":"stop"}"#))
        #expect(other?["error"]?["message"] == .string("Method not found: stop"))
        let client = RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: rpcPort), credentials: try CookieFile.read(path: directory + "/.cookie"))
        let verdict = try client.call("verifyattestation", params: [
            .string(HexCoding.encode(AttestationEndpointTests.mik)), .string(HexCoding.encode(AttestationEndpointTests.dna)),
            .int(1), try #require(result["timestamp"]), .string(signature)])
        #expect(verdict["valid"] == .bool(true))
        node.send(SIGTERM)
        #expect(node.waitForExit(seconds: 60) == 0)
        #expect(node.output.contains("attestation listening"))
    }

    @Test func aKeyThatIsNotASeedKeyIsRefusedAtStartUp() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeProcess.binary.path))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attest-refused-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(arguments: [
            "--network", "dilv", "--datadir", directory, "--bind", "127.0.0.1:0", "--rpcport", String(try NodeProcess.freePort()),
            "--attestbind", "127.0.0.1:\(try NodeProcess.freePort())", "--asn-db", directory + "/absent.tsv",
        ], outputPath: directory + ".log")
        defer { try? FileManager.default.removeItem(atPath: directory + ".log") }
        #expect(node.waitForExit(seconds: 60) == 1)
        // A new key was made for the operator, then refused: it is none of the DilV seed keys.
        #expect(node.output.contains("seed attestation: getmikattestation is only available on seed nodes"))
        #expect(node.output.contains("is not one of the 4 dilv seed keys"))
        #expect(FileManager.default.fileExists(atPath: directory + "/seed-attestation.key"))
    }
}
