import DilithionWire
import Testing
@testable import DilithionAttestation

/// Consensus-side checks (`VerifyAttestationSet`, `ParseMIKFromScriptSig`, `CheckMIKAttestations`)
/// over blocks built here, with four seed keys made from fixed seeds.
@Suite struct MIKAttestationCheckTests {
    static let seeds = (0..<4).map { try! SeedAttestationKey(seed: [UInt8](repeating: UInt8($0 + 1), count: 32)) }
    static let parameters = AttestationParameters(network: .regtest, seedPublicKeys: seeds.map(\.publicKey),
                                                  activationHeight: 100, refusesDatacenterAddresses: true)
    static let mik = Fixture.mikPublicKey
    static let dna = Fixture.dnaHash
    static let blockTime: UInt32 = 1_774_660_000

    static func attestation(seed: Int, age: Int64 = 60, dna: [UInt8] = dna) -> Attestation {
        try! seeds[seed].attest(mikPublicKey: mik, dnaHash: dna, timestamp: UInt32(Int64(blockTime) - age), seedID: UInt8(seed))
    }

    @Test func aSetNeedsThreeValidDistinctFreshSeeds() {
        func verdict(_ set: [Attestation]) -> AttestationVerifier.SetVerdict {
            AttestationVerifier.verifySet(set, mikPublicKey: Self.mik, dnaHash: Self.dna, seedPublicKeys: Self.parameters.seedPublicKeys,
                                          blockTime: Int64(Self.blockTime))
        }
        #expect(verdict([0, 1, 2].map { Self.attestation(seed: $0) }).passes)
        // Window edges: 0 and 3600 s before the block count; 3601 s before and 1 s after do not.
        let edges = verdict([Self.attestation(seed: 0, age: 0), Self.attestation(seed: 1, age: 3600),
                             Self.attestation(seed: 2, age: 3601), Self.attestation(seed: 3, age: -1)])
        #expect(edges.entries == [.valid, .valid, .stale(secondsBeforeBlock: 3601), .stale(secondsBeforeBlock: -1)])
        #expect(edges.error == "Insufficient valid attestations: 2 of 3 required (checked 4 entries)")
        // A seed counts once; a bad id and a bad signature are skipped.
        var forged = Self.attestation(seed: 3)
        forged.signature[0] ^= 1
        var badID = Self.attestation(seed: 2)
        badID.seedID = 4
        let mixed = verdict([Self.attestation(seed: 0), Self.attestation(seed: 0), badID, forged, Self.attestation(seed: 1)])
        #expect(mixed.entries == [.valid, .duplicateSeed, .invalidSeedID, .badSignature, .valid])
        #expect(!mixed.passes)
        // A duplicate after a failed entry of the same seed still counts (only valid entries mark a seed).
        #expect(verdict([forged, Self.attestation(seed: 3), Self.attestation(seed: 1), Self.attestation(seed: 2)]).passes)
        #expect(AttestationVerifier.verifySet([], mikPublicKey: Self.mik, dnaHash: Self.dna,
                                              seedPublicKeys: Array(Self.parameters.seedPublicKeys.prefix(3)), blockTime: 0).error
                == "Invalid seed pubkey count")
    }

    static func block(script: [UInt8], time: UInt32 = blockTime) -> BlockMessage {
        let coinbase = Transaction(
            version: 1, inputs: [.init(previousOutput: .null, scriptSig: script, sequence: .max)],
            outputs: [.init(value: 0, scriptPubKey: [0x6A])], lockTime: 0)
        let header = BlockHeader(version: 4, previousBlockHash: .zero, merkleRoot: .zero, time: time, bits: 0x207F_FFFF, nonce: 0,
                                 vdfOutput: .zero, vdfProofHash: .zero)
        return Block(header: header, transactions: [coinbase]).message
    }

    static func registration(dna: [UInt8]? = dna, attestations: [Attestation]?) -> [UInt8] {
        MIKScriptData.registrationScript(height: 500, publicKey: mik, signature: [UInt8](repeating: 0x55, count: 3309),
                                         nonce: 42, dnaHash: dna, attestations: attestations)
    }

    @Test func registrationBlocksCarryingThreeAttestationsPass() throws {
        let script = Self.registration(attestations: [0, 2, 3].map { Self.attestation(seed: $0) })
        let parsed = try #require(MIKScriptData.parse(scriptSig: script))
        #expect(parsed.isRegistration && parsed.publicKey == Self.mik && parsed.dnaHash == Self.dna && parsed.attestationCount == 3)
        let result = MIKAttestationCheck.check(Self.block(script: script), height: 500, parameters: Self.parameters)
        guard case .success(.attested(let verdict)) = result else { Issue.record("\(result)"); return }
        #expect(verdict.validCount == 3)
    }

    @Test func failuresCarryTheCppErrorText() {
        func message(_ script: [UInt8], height: Int = 500, parameters: AttestationParameters = Self.parameters) -> String? {
            if case .failure(let failure) = MIKAttestationCheck.check(Self.block(script: script), height: height, parameters: parameters) {
                return failure.message
            }
            return nil
        }
        #expect(message(Self.registration(attestations: nil)) == "CheckMIKAttestations: MIK registration at height 500 missing required seed attestations")
        #expect(message(Self.registration(attestations: [0, 1].map { Self.attestation(seed: $0) }))
                == "CheckMIKAttestations: insufficient attestations: 2 < 3")
        let stale = [0, 1, 2].map { Self.attestation(seed: $0, age: 7200) }
        #expect(message(Self.registration(attestations: stale))
                == "CheckMIKAttestations: Insufficient valid attestations: 0 of 3 required (checked 3 entries) at height 500")
        #expect(message([0x01, 0x02]) == "CheckMIKAttestations: failed to parse MIK from coinbase")
        let threeSeeds = AttestationParameters(network: .regtest, seedPublicKeys: Array(Self.parameters.seedPublicKeys.prefix(3)),
                                               activationHeight: 0, refusesDatacenterAddresses: true)
        #expect(message(Self.registration(attestations: [0, 1, 2].map { Self.attestation(seed: $0) }), parameters: threeSeeds)
                == "CheckMIKAttestations: chainparams has 3 seed pubkeys, expected 4")
        // Signed over the DNA hash, but the coinbase has no DNA commitment: verified as zeros, so it fails.
        #expect(message(Self.registration(dna: nil, attestations: [0, 1, 2].map { Self.attestation(seed: $0) }))?
            .hasPrefix("CheckMIKAttestations: Insufficient valid attestations: 0 of 3") == true)
    }

    @Test func blocksBelowActivationAndReferenceBlocksPass() {
        #expect(MIKAttestationCheck.check(Self.block(script: [1, 2]), height: 99, parameters: Self.parameters) == .success(.beforeActivation))
        let reference = [3, 1, 2, 3, 0xDF, 0x02] + [UInt8](repeating: 9, count: 20 + 3309)
        #expect(MIKAttestationCheck.check(Self.block(script: reference), height: 500, parameters: Self.parameters)
                == .success(.notARegistration))
    }

    @Test func theParserKeepsTheCppQuirks() throws {
        // An unknown type byte after a marker: the search resumes after it and finds the real data.
        let real = Self.registration(attestations: nil)
        let withDecoy = [real[0]] + Array(real[1...4]) + [0xDF, 0x07] + Array(real[5...])
        #expect(try #require(MIKScriptData.parse(scriptSig: withDecoy)).publicKey == Self.mik)
        // No nonce but a DNA commitment: the C++ parser takes 8 bytes as the nonce, so the DNA is not seen.
        var noNonce: [UInt8] = [4, 0, 0, 0, 0, 0xDF, 0x01] + Self.mik + [UInt8](repeating: 0x55, count: 3309)
        noNonce += [0xDD] + Self.dna
        #expect(try #require(MIKScriptData.parse(scriptSig: noNonce)).dnaHash == nil)
        // An attestation count larger than the bytes present: no attestations at all.
        let truncated = Array(Self.registration(attestations: [Self.attestation(seed: 0)]).dropLast(10))
        #expect(try #require(MIKScriptData.parse(scriptSig: truncated)).attestationCount == nil)
        #expect(MIKScriptData.parse(scriptSig: [UInt8](repeating: 0, count: 4000)) == nil)
    }
}
