import DilithionAttestation
import DilithionWire
import Foundation
import Logging
import Testing
@testable import DilithionOps

/// The public attestation listener beside the admin RPC, over real loopback sockets. Clients play
/// miners from several loopback addresses: 127.0.1.0/24 is residential in the test ASN table,
/// 127.0.2.0/24 a datacenter.
@Suite struct AttestationEndpointTests {
    static let asnTable = "127.0.1.0\t127.0.1.255\t64501\tZZ\tTEST-RESIDENTIAL\n127.0.2.0\t127.0.2.255\t64502\tZZ\tTEST-DATACENTER\n"
    static let key = try! SeedAttestationKey(seed: [UInt8](repeating: 9, count: 32))
    static let cookie = RPCCredentials(user: "__cookie__", password: String(repeating: "ef", count: 32))
    static let mik: [UInt8] = (0..<1952).map { UInt8($0 % 253) }
    static let dna: [UInt8] = Array(repeating: 0x33, count: 32)

    struct Ports {
        let attest: UInt16
        let admin: UInt16
    }

    /// A seed: the public endpoint and an admin RPC with `verifyattestation` (and a `count` method).
    static func withSeed(_ configuration: HTTPServerConfiguration = .publicAttestation,
                         _ body: (Ports, HTTPServer, AttestationService) throws -> Void) throws {
        let parameters = AttestationParameters.of(.regtest, regtestSeedKeys: [key.publicKey])
        let service = AttestationService(configuration: .init(
            key: key, seedID: 0, parameters: parameters, asnDatabase: ASNDatabase(tsv: Array(asnTable.utf8)),
            datacenterASNs: DatacenterASNList(asns: [64502]), now: { 1_774_656_000 }))
        let endpoint = AttestationEndpoint(service: service, logger: Logger(label: "test.attest"))
        let attest = HTTPServer(configuration: configuration, endpoints: [Endpoint(host: "127.0.0.1", port: 0)],
                                logger: Logger(label: "test.attest"), refusal: AttestationEndpoint.refusal, handler: endpoint.handle)
        var table = RPCMethodTable()
        table.register(RPCMethod(name: "count", summary: "constant") { _ throws(RPCError) in .int(42) })
        table.registerAttestationChecks(parameters: parameters, node: FakeNodeBackend(network: .regtest))
        let rpc = RPCServer(table: table, authenticator: RPCAuthenticator(credentials: [cookie]), logger: Logger(label: "test.rpc"))
        let admin = HTTPServer(endpoints: [Endpoint(host: "127.0.0.1", port: 0)], logger: Logger(label: "test.rpc"), handler: rpc.handle)
        let ports = Ports(attest: try attest.start()[0].port, admin: try admin.start()[0].port)
        defer {
            attest.stop()
            admin.stop()
        }
        try body(ports, attest, service)
    }

    /// The request a C++ miner sends (`RequestAttestation`: these headers, Basic rpc:rpc, close).
    static func minerRequest(_ body: String) -> String {
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Dilithion-RPC: 1\r\n"
            + "Authorization: Basic cnBjOnJwYw==\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    }

    static func attestationCall(mik: [UInt8] = mik) -> String {
        #"{"jsonrpc":"2.0","id":1,"method":"getmikattestation","params":{"mik_pubkey":""#
            + HexCoding.encode(mik) + #"","dna_hash":""# + HexCoding.encode(dna) + #""}}"#
    }

    /// Sends `raw` from `source` and returns (status, parsed JSON body).
    static func exchange(_ port: UInt16, from source: String, _ raw: String) -> (Int?, JSON?) {
        guard let connection = HeldConnection(ifListening: port, from: source) else { return (nil, nil) }
        defer { connection.close() }
        connection.send(raw)
        guard let (status, body) = try? RPCClient.parseReply(connection.readUntilClosed()) else { return (nil, nil) }
        return (status, try? JSONParser.parse(body))
    }

    static func adminCall(_ port: UInt16, _ method: String, _ params: [JSON] = []) throws -> JSON {
        try RPCClient(endpoint: Endpoint(host: "127.0.0.1", port: port), credentials: cookie).call(method, params: params)
    }

    @Test func aMinerGetsAnAttestationTheConsensusCheckAccepts() throws {
        try Self.withSeed { ports, _, _ throws in
            let (status, reply) = Self.exchange(ports.attest, from: "127.0.1.10", Self.minerRequest(Self.attestationCall()))
            #expect(status == 200)
            let result = try #require(reply?["result"])
            #expect(reply?["error"] == nil)  // the C++ client treats any "error" other than null as a failure
            #expect(result["seed_id"] == .int(0) && result["timestamp"] == .int(1_774_656_000))
            #expect(result["client_ip"] == .string("127.0.1.10") && result["asn"] == .int(64501))
            let signature = try #require(result["signature"]?.stringValue.flatMap { HexCoding.decode($0) })
            let attestation = Attestation(seedID: 0, timestamp: 1_774_656_000, signature: signature)
            #expect(AttestationVerifier.verify(attestation, mikPublicKey: Self.mik, dnaHash: Self.dna, seedPublicKey: Self.key.publicKey))
            // The admin RPC's verifyattestation agrees, with the chain's key for seed 0 and a fresh block time.
            let verdict = try Self.adminCall(ports.admin, "verifyattestation", [
                .string(HexCoding.encode(Self.mik)), .string(HexCoding.encode(Self.dna)), .int(0), .int(1_774_656_000),
                .string(HexCoding.encode(signature)), .null, .int(1_774_656_600)])
            #expect(verdict["valid"] == .bool(true) && verdict["seed_pubkey"] == .string("chain") && verdict["fresh"] == .bool(true))
            let stale = try Self.adminCall(ports.admin, "verifyattestation", [
                .string(HexCoding.encode(Self.mik)), .string(HexCoding.encode(Self.dna)), .int(0), .int(1_774_656_000),
                .string(HexCoding.encode(signature)), .null, .int(1_774_656_000 + 3601)])
            #expect(stale["valid"] == .bool(false) && stale["signature_valid"] == .bool(true))
        }
    }

    @Test func datacenterCallersAndNewMIKsOverTheLimitGetTheCppErrors() throws {
        try Self.withSeed { ports, _, service throws in
            let (_, datacenter) = Self.exchange(ports.attest, from: "127.0.2.10", Self.minerRequest(Self.attestationCall()))
            #expect(datacenter?["error"]?["code"] == .int(-32603))
            #expect(datacenter?["error"]?["message"]?.stringValue?.hasPrefix(
                "Mining not available from datacenter/VPN IPs. Your IP (127.0.2.10) belongs to ASN 64502 (TEST-DATACENTER).") == true)
            #expect(Self.exchange(ports.attest, from: "127.0.1.10", Self.minerRequest(Self.attestationCall())).1?["result"] != nil)
            let otherMIK = [UInt8](repeating: 0x44, count: 1952)
            let (_, limited) = Self.exchange(ports.attest, from: "127.0.1.11", Self.minerRequest(Self.attestationCall(mik: otherMIK)))
            #expect(limited?["error"]?["message"] == .string(
                "Attestation rate limit exceeded. Maximum 1 new MIK registration(s) per /24 subnet per day. Try again tomorrow."))
            // A renewal from anywhere in the /24 passes; another /24 has its own allowance.
            #expect(Self.exchange(ports.attest, from: "127.0.1.12", Self.minerRequest(Self.attestationCall())).1?["result"] != nil)
            #expect(Self.exchange(ports.attest, from: "127.0.3.1", Self.minerRequest(Self.attestationCall(mik: otherMIK))).1?["result"] != nil)
            let statistics = service.statistics
            #expect(statistics.grantedNew == 2 && statistics.grantedRenewal == 1)
            #expect(statistics.refusals["datacenter"] == 1 && statistics.refusals["rate-limited"] == 1)
        }
    }

    @Test func thePublicPortServesNothingElseAndTheAdminPortStaysBehindTheCookie() throws {
        try Self.withSeed { ports, _, service throws in
            for method in ["getblockcount", "stop", "help", "verifyattestation", "count", "getpeerinfo"] {
                let (status, reply) = Self.exchange(ports.attest, from: "127.0.1.20",
                                                    Self.minerRequest(#"{"jsonrpc":"2.0","id":1,"method":""# + method + #""}"#))
                #expect(status == 200)
                #expect(reply?["error"]?["message"] == .string("Method not found: \(method)"))
            }
            let (batchStatus, batch) = Self.exchange(ports.attest, from: "127.0.1.21",
                                                     Self.minerRequest("[" + Self.attestationCall() + "]"))
            #expect(batchStatus == 200 && batch?["error"]?["message"] == .string("Batch requests are not served here"))
            #expect(Self.exchange(ports.attest, from: "127.0.1.22", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n").0 == 405)
            #expect(Self.exchange(ports.attest, from: "127.0.1.22", "POST /wallet HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").0 == 404)
            #expect(service.statistics.grantedNew == 0)
            // The admin RPC: no attestation method, and nothing without the cookie.
            #expect(throws: RPCClientError.self) { try Self.adminCall(ports.admin, "getmikattestation") }
            let (unauthenticated, _) = Self.exchange(ports.admin, from: "127.0.0.1",
                                                    "POST / HTTP/1.1\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{\"method\":\"count\"}")
            #expect(unauthenticated == 401)
        }
    }

    @Test func slowLorisOversizeAndMalformedRequestsLeaveBothPortsServing() throws {
        var configuration = HTTPServerConfiguration.publicAttestation
        configuration.headerTimeoutSeconds = 0.3
        configuration.requestTimeoutSeconds = 0.6
        try Self.withSeed(configuration) { ports, attest, _ throws in
            // Slow loris: 300 connections from 75 addresses, each with half a request line; more than the
            // 256 slots, so the oldest make room; every one ends by the header deadline or eviction.
            let loris = (0..<300).map { index -> HeldConnection in
                let connection = HeldConnection(port: ports.attest, from: "127.0.4.\(index / 4 + 1)")
                connection.send("POST / HTT")
                return connection
            }
            defer { loris.forEach { $0.close() } }
            // An honest miner and the admin RPC are served in the middle of it.
            #expect(Self.exchange(ports.attest, from: "127.0.1.30", Self.minerRequest(Self.attestationCall())).1?["result"] != nil)
            #expect(try Self.adminCall(ports.admin, "count") == .int(42))
            // Oversize body and headers, malformed request line, bad Content-Length: refused as JSON-RPC errors.
            let oversize = "POST / HTTP/1.1\r\nContent-Length: \(20 * 1024)\r\n\r\n" + String(repeating: "x", count: 20 * 1024)
            let (bodyStatus, bodyReply) = Self.exchange(ports.attest, from: "127.0.5.1", oversize)
            #expect(bodyStatus == 413 && bodyReply?["error"]?["message"] == .string("request body too large"))
            let longHeaders = "POST / HTTP/1.1\r\nX-Pad: " + String(repeating: "p", count: 9000) + "\r\n\r\n"
            #expect(Self.exchange(ports.attest, from: "127.0.5.2", longHeaders).0 == 431)
            #expect(Self.exchange(ports.attest, from: "127.0.5.3", "\u{0}\u{1}GARBAGE\r\n\r\n").0 == 400)
            #expect(Self.exchange(ports.attest, from: "127.0.5.4", "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n").0 == 400)
            // Every slow-loris connection is closed: by eviction or a 408 at the header deadline.
            for connection in loris { _ = connection.readUntilClosed() }
            let closes = attest.statistics.closes
            #expect(closes["evicted"]! + closes["header-timeout"]! == 300)
            #expect(closes["malformed"] == 4)
            #expect(Self.exchange(ports.attest, from: "127.0.1.31", Self.minerRequest(Self.attestationCall())).1?["result"] != nil)
            #expect(try Self.adminCall(ports.admin, "count") == .int(42))
        }
    }

    @Test func perAddressLimitsApplyOnThePublicPort() throws {
        var configuration = HTTPServerConfiguration.publicAttestation
        configuration.requestsPerAddressPerMinute = 1
        configuration.requestBurstPerAddress = 2
        try Self.withSeed(configuration) { ports, attest, _ throws in
            let call = #"{"jsonrpc":"2.0","id":1,"method":"nothing"}"#
            #expect(Self.exchange(ports.attest, from: "127.0.6.1", Self.minerRequest(call)).0 == 200)
            #expect(Self.exchange(ports.attest, from: "127.0.6.1", Self.minerRequest(call)).0 == 200)
            let (status, reply) = Self.exchange(ports.attest, from: "127.0.6.1", Self.minerRequest(call))
            #expect(status == 429)
            #expect(reply?["error"]?["message"]?.stringValue?.hasPrefix("too many requests from 127.0.6.1") == true)
            #expect(Self.exchange(ports.attest, from: "127.0.6.2", Self.minerRequest(call)).0 == 200)
            #expect(attest.statistics.closes["rate-limited"] == 1)
        }
    }
}
