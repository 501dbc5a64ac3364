import DilithionWire
import Testing
@testable import DilithionAttestation

@Suite struct AttestationMessageTests {
    @Test func preimageIsDomainMIKDNATimestampSeedID() {
        let preimage = AttestationMessage.preimage(
            mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash, timestamp: 0x0102_0304, seedID: 3)
        #expect(preimage.count == 11 + 1952 + 32 + 4 + 1)
        #expect(Array(preimage.prefix(11)) == Array("DILV_ATTEST".utf8))
        #expect(Array(preimage[11..<1963]) == Fixture.mikPublicKey)
        #expect(Array(preimage[1963..<1995]) == Fixture.dnaHash)
        #expect(Array(preimage[1995..<1999]) == [0x04, 0x03, 0x02, 0x01])  // little-endian
        #expect(preimage.last == 3)
    }

    @Test func digestMatchesAHandComputedSHA3() {
        let digest = AttestationMessage.digest(
            mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash, timestamp: Fixture.timestamp, seedID: Fixture.seedID)
        #expect(HexCoding.encode(digest) == Fixture.expectedDigestHex)
        // Any field changes the digest.
        let otherSeed = AttestationMessage.digest(
            mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash, timestamp: Fixture.timestamp, seedID: 1)
        let otherTime = AttestationMessage.digest(
            mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash, timestamp: Fixture.timestamp + 1, seedID: Fixture.seedID)
        #expect(otherSeed != digest && otherTime != digest)
    }

    @Test func mikIdentityIsTheFirst20BytesOfSHA3() {
        #expect(HexCoding.encode(AttestationMessage.mikIdentity(of: Fixture.mikPublicKey)) == Fixture.expectedMIKIdentityHex)
    }

    @Test func onChainEntryRoundTrips() {
        let attestation = Attestation(seedID: 1, timestamp: 0xA1B2_C3D4, signature: [UInt8](repeating: 7, count: 3309))
        let bytes = [0xEE] + attestation.entryBytes
        #expect(bytes.count == 1 + AttestationLimits.entryBytes)
        #expect(Array(bytes[1...5]) == [1, 0xD4, 0xC3, 0xB2, 0xA1])
        #expect(Attestation(entryAt: 1, in: bytes) == attestation)
        #expect(Attestation(entryAt: 2, in: bytes) == nil)
    }
}
