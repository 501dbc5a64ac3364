import DilithionWire
import Foundation
import Testing
@testable import DilithionAttestation

/// The seed's policies, with a small ASN table: 127.0.1.0/24 residential, 127.0.2.0/24 a
/// datacenter, everything else unknown.
@Suite struct AttestationServiceTests {
    static let asnTable = "127.0.1.0\t127.0.1.255\t64501\tZZ\tTEST-RESIDENTIAL\n127.0.2.0\t127.0.2.255\t64502\tZZ\tTEST-DATACENTER\n"
    static let key = try! SeedAttestationKey(seed: Fixture.seed)
    static let otherMIK: [UInt8] = (0..<1952).map { UInt8($0 % 251) }

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int64 = 1_774_656_000
        var now: Int64 { lock.withLock { value } }
        func advance(_ seconds: Int64) { lock.withLock { value += seconds } }
    }

    static func service(network: Network = .regtest, perDay: Int = 1, clock: Clock = Clock()) -> AttestationService {
        let parameters = AttestationParameters.of(network, regtestSeedKeys: [[UInt8](repeating: 1, count: 1952), key.publicKey])
        return AttestationService(configuration: .init(
            key: key, seedID: 1, parameters: parameters, asnDatabase: ASNDatabase(tsv: Array(asnTable.utf8)),
            datacenterASNs: DatacenterASNList(asns: [64502]), newMIKsPerSubnetPerDay: perDay, now: { clock.now }))
    }

    static let mikHex = HexCoding.encode(Fixture.mikPublicKey)
    static let dnaHex = HexCoding.encode(Fixture.dnaHash)

    @Test func aResidentialCallerGetsAnAttestationThatVerifies() throws {
        let clock = Clock()
        let grant = try Self.service(clock: clock).attest(mikPublicKeyHex: Self.mikHex, dnaHashHex: Self.dnaHex,
                                                          clientAddress: "127.0.1.10").get()
        #expect(grant.attestation.seedID == 1)
        #expect(Int64(grant.attestation.timestamp) == clock.now)
        #expect(grant.clientIP == "127.0.1.10" && grant.asn == 64501 && grant.asnDescription == "TEST-RESIDENTIAL")
        #expect(grant.mikIdentityHex == Fixture.expectedMIKIdentityHex)
        #expect(grant.isNewMIK)
        #expect(AttestationVerifier.verify(grant.attestation, mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash,
                                           seedPublicKey: Self.key.publicKey))
    }

    @Test func datacenterCallersAreRefusedWithTheCppTextOnlyWhereTheChainSaysSo() {
        let service = Self.service()
        let refusal = service.attest(mikPublicKeyHex: Self.mikHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.2.7")
        #expect(refusal == .failure(.datacenterAddress(ip: "127.0.2.7", asn: 64502, description: "TEST-DATACENTER")))
        if case .failure(let error) = refusal {
            #expect(error.message.hasPrefix(
                "Mining not available from datacenter/VPN IPs. Your IP (127.0.2.7) belongs to ASN 64502 (TEST-DATACENTER). "))
            #expect(error.message.hasSuffix("is not stored on-chain."))
        }
        // Unknown ranges fail open, as in the C++ node.
        #expect((try? service.attest(mikPublicKeyHex: Self.mikHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.3.1").get()) != nil)
        // DIL mainnet attests datacenter callers.
        let mainnet = Self.service(network: .mainnet)
        #expect((try? mainnet.attest(mikPublicKeyHex: Self.mikHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.2.7").get()) != nil)
    }

    @Test func newMIKsAreLimitedPerSubnetAndDayRenewalsAreNot() {
        let clock = Clock()
        let service = Self.service(clock: clock)
        let otherHex = HexCoding.encode(Self.otherMIK)
        #expect(service.attest(mikPublicKeyHex: Self.mikHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.1.10").isSuccess)
        let limited = service.attest(mikPublicKeyHex: otherHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.1.11")
        #expect(limited == .failure(.rateLimited(perDay: 1)))
        #expect(limited.refusalMessage == "Attestation rate limit exceeded. Maximum 1 new MIK registration(s) per /24 "
            + "subnet per day. Try again tomorrow.")
        let renewal = service.attest(mikPublicKeyHex: Self.mikHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.1.12")
        #expect((try? renewal.get())?.isNewMIK == false)
        clock.advance(86_400)
        #expect(service.attest(mikPublicKeyHex: otherHex, dnaHashHex: Self.dnaHex, clientAddress: "127.0.1.11").isSuccess)
        let statistics = service.statistics
        #expect(statistics.grantedNew == 2 && statistics.grantedRenewal == 1)
        #expect(statistics.refusals["rate-limited"] == 1)
        #expect(statistics.trackedSubnets == 1)
    }

    @Test func badParametersAreCheckedFirstAndEveryRefusalIsCounted() {
        let service = Self.service()
        let cases: [(String?, String?, String, AttestationRefusal)] = [
            (nil, Self.dnaHex, "127.0.2.1", .missingParameter("mik_pubkey")),
            (Self.mikHex, nil, "127.0.2.1", .missingParameter("dna_hash")),
            ("abcd", Self.dnaHex, "127.0.2.1", .badMIKPublicKey),
            (Self.mikHex + "zz", Self.dnaHex, "127.0.2.1", .badMIKPublicKey),
            (Self.mikHex, "00", "127.0.2.1", .badDNAHash),
            (Self.mikHex, Self.dnaHex, "::1", .notIPv4("::1")),
        ]
        for (mik, dna, address, expected) in cases {
            #expect(service.attest(mikPublicKeyHex: mik, dnaHashHex: dna, clientAddress: address) == .failure(expected))
        }
        #expect(AttestationRefusal.missingParameter("mik_pubkey").message == "Missing required parameter: mik_pubkey")
        #expect(AttestationRefusal.badMIKPublicKey.message == "Invalid mik_pubkey size: expected 3904 hex chars")
        #expect(AttestationRefusal.badDNAHash.message == "Invalid dna_hash size: expected 64 hex chars")
        let refusals = service.statistics.refusals
        #expect(refusals["missing-parameter"] == 2 && refusals["bad-mik-pubkey"] == 2 && refusals["bad-dna-hash"] == 1)
        #expect(refusals["not-ipv4"] == 1 && refusals["datacenter"] == 0)
        #expect(Set(refusals.keys) == Set(AttestationRefusal.allReasons))
    }

    @Test func seedIDsComeFromTheChainsKeysAndForeignKeysAreRefused() throws {
        let mainnet = AttestationParameters.of(.mainnet)
        #expect(mainnet.seedPublicKeys.count == 4 && mainnet.seedPublicKeys.allSatisfy { $0.count == 1952 })
        #expect(AttestationParameters.of(.dilv).seedPublicKeys == mainnet.seedPublicKeys)
        #expect(mainnet.seedID(of: mainnet.seedPublicKeys[3]) == 3)
        #expect(throws: AttestationSetupError.self) { try mainnet.requireSeedID(of: Self.key.publicKey) }
        do {
            _ = try mainnet.requireSeedID(of: Self.key.publicKey)
        } catch {
            #expect(error.description.hasPrefix("getmikattestation is only available on seed nodes"))
        }
        #expect(throws: AttestationSetupError.notUsedOnNetwork("testnet")) {
            try AttestationParameters.of(.testnet).requireSeedID(of: Self.key.publicKey)
        }
        let regtest = AttestationParameters.of(.regtest, regtestSeedKeys: [Self.otherMIK, Self.key.publicKey])
        #expect(try regtest.requireSeedID(of: Self.key.publicKey) == 1)
    }

    @Test func regtestSeedKeyListsAreOneHexKeyPerLine() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/seeds"
        let text = "# regtest seeds\n\(HexCoding.encode(Self.otherMIK))\n\n\(HexCoding.encode(Self.key.publicKey))  # mine\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        #expect(try AttestationParameters.loadSeedKeyList(path: path) == [Self.otherMIK, Self.key.publicKey])
        _ = FileManager.default.createFile(atPath: path, contents: Data("abc\n".utf8))
        #expect(throws: AttestationSetupError.self) { try AttestationParameters.loadSeedKeyList(path: path) }
    }
}

extension Result where Failure == AttestationRefusal {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
    var refusalMessage: String? { if case .failure(let refusal) = self { return refusal.message } else { return nil } }
}
