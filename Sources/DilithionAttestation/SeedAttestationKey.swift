import Crypto
import Foundation

/// A seed node's ML-DSA-65 signing key, held by swift-crypto (BoringSSL) as its 32-byte FIPS 204 seed
/// ξ. The same ξ gives the same key pair as pq-crystals' `crypto_sign_keypair_from_seed` (both run
/// `ML-DSA.KeyGen_internal`), but pq-crystals' expanded 4,032-byte key — what the C++ node stores —
/// cannot be turned back into ξ, so a C++ seed key cannot be loaded here (see ``CppSeedKeyFile``).
public struct SeedAttestationKey: Sendable {
    private let privateKey: MLDSA65.PrivateKey
    /// The public key (1,952 bytes), the value listed in a chain's seed keys.
    public let publicKey: [UInt8]

    /// A key from its seed; throws ``SeedKeyError/invalidSeed`` unless it is 32 bytes.
    public init(seed: [UInt8]) throws(SeedKeyError) {
        guard seed.count == AttestationLimits.privateKeySeedBytes,
              let key = try? MLDSA65.PrivateKey(seedRepresentation: seed, publicKey: nil) else {
            throw .invalidSeed
        }
        self.init(key)
    }

    /// A key from the seed and the SHA3-256 of its public key (swift-crypto's integrity-checked
    /// form): throws ``SeedKeyError/integrityCheckFailed`` when they do not belong together.
    init(integrityChecked representation: [UInt8]) throws(SeedKeyError) {
        guard let key = try? MLDSA65.PrivateKey(integrityCheckedRepresentation: representation) else {
            throw .integrityCheckFailed
        }
        self.init(key)
    }

    /// A fresh key from the system's random generator.
    public static func generate() throws(SeedKeyError) -> SeedAttestationKey {
        guard let key = try? MLDSA65.PrivateKey() else { throw .generationFailed }
        return SeedAttestationKey(key)
    }

    private init(_ key: MLDSA65.PrivateKey) {
        privateKey = key
        publicKey = Array(key.publicKey.rawRepresentation)
    }

    /// The 32-byte seed (secret).
    var seed: [UInt8] { Array(privateKey.seedRepresentation) }

    /// Seed ‖ SHA3-256(public key): what the key file stores after its header.
    var integrityCheckedRepresentation: [UInt8] { Array(privateKey.integrityCheckedRepresentation) }

    /// Signs `message` (ML-DSA-65, empty context, hedged randomness as in FIPS 204 and as the C++
    /// node builds it with `DILITHIUM_RANDOMIZED_SIGNING`).
    public func sign(_ message: [UInt8]) throws(SeedKeyError) -> [UInt8] {
        guard let signature = try? privateKey.signature(for: message),
              signature.count == AttestationLimits.signatureBytes else {
            throw .signingFailed
        }
        return Array(signature)
    }

    /// Signs an attestation for a MIK: the timestamp and seed id go into the signed digest.
    public func attest(mikPublicKey: [UInt8], dnaHash: [UInt8], timestamp: UInt32, seedID: UInt8) throws(SeedKeyError) -> Attestation {
        let digest = AttestationMessage.digest(mikPublicKey: mikPublicKey, dnaHash: dnaHash, timestamp: timestamp, seedID: seedID)
        return Attestation(seedID: seedID, timestamp: timestamp, signature: try sign(digest))
    }
}
