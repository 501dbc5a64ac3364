import DilithionWire
import Foundation
import Testing
@testable import DilithionAttestation

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SeedKeyTests {
    @Test func aSeedGivesTheFIPS204KeyPairAnIndependentImplementationDerives() throws {
        let key = try SeedAttestationKey(seed: Fixture.seed)
        #expect(key.publicKey.count == AttestationLimits.publicKeyBytes)
        #expect(HexCoding.encode(SHA3.hash(key.publicKey).internalBytes) == Fixture.expectedPublicKeySHA3Hex)
        // ... and the same public key as the C++-layout file dilithium-py wrote for that seed.
        #expect(try CppSeedKeyFile(bytes: Fixture.cppKeyFile).publicKey == key.publicKey)
    }

    @Test func signaturesVerifyAndBindEveryField() throws {
        let key = try SeedAttestationKey.generate()
        let attestation = try key.attest(mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash,
                                         timestamp: Fixture.timestamp, seedID: 1)
        #expect(attestation.signature.count == AttestationLimits.signatureBytes)
        #expect(AttestationVerifier.verify(attestation, mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash,
                                           seedPublicKey: key.publicKey))
        var otherTime = attestation
        otherTime.timestamp += 1
        var otherSeed = attestation
        otherSeed.seedID = 0
        var flipped = attestation
        flipped.signature[100] ^= 1
        for forged in [otherTime, otherSeed, flipped] {
            #expect(!AttestationVerifier.verify(forged, mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash,
                                                seedPublicKey: key.publicKey))
        }
        #expect(!AttestationVerifier.verify(attestation, mikPublicKey: Fixture.mikPublicKey, dnaHash: [UInt8](repeating: 0, count: 32),
                                            seedPublicKey: key.publicKey))
        #expect(!AttestationVerifier.verify(attestation, mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash,
                                            seedPublicKey: try SeedAttestationKey.generate().publicKey))
    }

    @Test func ourVerifierAcceptsASignatureMadeWithTheExpandedCppKey() throws {
        let cpp = try CppSeedKeyFile(bytes: Fixture.cppKeyFile)
        let attestation = Attestation(seedID: Fixture.seedID, timestamp: Fixture.timestamp, signature: Fixture.signature)
        #expect(AttestationVerifier.verify(attestation, mikPublicKey: Fixture.mikPublicKey, dnaHash: Fixture.dnaHash,
                                           seedPublicKey: cpp.publicKey))
    }

    @Test func cppKeyFilesAreCheckedForConsistency() throws {
        var bytes = Fixture.cppKeyFile
        #expect(bytes.count == CppSeedKeyFile.fileBytes)
        #expect(Array(bytes.prefix(4)) == Array("TALD".utf8))  // 0x444C4154 little-endian
        bytes[5 + 1952 + 70] ^= 1  // inside tr = SHAKE256(pk)
        #expect(throws: CppSeedKeyFile.ParseError.keysDoNotMatch) { try CppSeedKeyFile(bytes: bytes) }
        bytes = Fixture.cppKeyFile
        bytes[5] ^= 1  // ρ of the public key no longer equals the private key's
        #expect(throws: CppSeedKeyFile.ParseError.keysDoNotMatch) { try CppSeedKeyFile(bytes: bytes) }
        #expect(throws: CppSeedKeyFile.ParseError.wrongSize(100)) { try CppSeedKeyFile(bytes: Array(Fixture.cppKeyFile.prefix(100))) }
        bytes = Fixture.cppKeyFile
        bytes[4] = 2
        #expect(throws: CppSeedKeyFile.ParseError.wrongVersion(2)) { try CppSeedKeyFile(bytes: bytes) }
    }

    @Test func keyFileRoundTripsWithMode0600AndIsNeverOverwritten() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + SeedKeyFile.defaultFileName
        let (created, isNew) = try SeedKeyFile.loadOrCreate(path: path)
        #expect(isNew)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(status.st_size == 69)
        let (loaded, isNewAgain) = try SeedKeyFile.loadOrCreate(path: path)
        #expect(!isNewAgain)
        #expect(loaded.publicKey == created.publicKey)
        #expect(loaded.seed == created.seed)
        // A second writer loses: the file keeps the first key.
        #expect(try SeedKeyFile.write(try SeedAttestationKey.generate(), to: path) == false)
        #expect(try SeedKeyFile.load(path: path).publicKey == created.publicKey)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [SeedKeyFile.defaultFileName])
    }

    @Test func damagedOrForeignKeyFilesAreRefusedWithAReason() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/key"
        try SeedKeyFile.write(try SeedAttestationKey(seed: Fixture.seed), to: path)
        var bytes = try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) })

        func rewrite(_ contents: [UInt8], mode: mode_t = 0o600) {
            unlink(path)
            _ = FileManager.default.createFile(atPath: path, contents: Data(contents))
            chmod(path, mode)
        }
        bytes[10] ^= 0x80  // inside the seed: a different key, whose hash no longer matches
        rewrite(bytes)
        #expect(throws: SeedKeyError.integrityCheckFailed) { try SeedKeyFile.load(path: path) }
        rewrite(Array("NOPE".utf8) + bytes.dropFirst(4))
        #expect { try SeedKeyFile.load(path: path) } throws: { error in
            guard case .malformed = error as? SeedKeyError else { return false }
            return true
        }
        bytes[10] ^= 0x80
        rewrite(bytes, mode: 0o644)
        #expect(throws: SeedKeyError.unsafePermissions(path: path, mode: 0o644)) { try SeedKeyFile.load(path: path) }
        rewrite(Fixture.cppKeyFile)
        #expect { try SeedKeyFile.load(path: path) } throws: { error in
            guard case .cppKeyFile(_, let publicKeyHex) = error as? SeedKeyError else { return false }
            return publicKeyHex == HexCoding.encode(try! SeedAttestationKey(seed: Fixture.seed).publicKey)
        }
        #expect(throws: SeedKeyError.invalidSeed) { try SeedAttestationKey(seed: [1, 2, 3]) }
    }
}
