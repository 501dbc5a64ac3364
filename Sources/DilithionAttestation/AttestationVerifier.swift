import Crypto
import Foundation

/// Checks attestations the way the C++ consensus code does (`VerifyAttestation`,
/// `VerifyAttestationSet` in `src/attestation/seed_attestation.cpp`), so a relay can check the
/// attestations inside the MIK-registration coinbases it relays.
public enum AttestationVerifier {
    /// Whether `attestation` is a valid signature by `seedPublicKey` for this MIK and DNA hash:
    /// seed id below 4, a 3,309-byte signature, a 1,952-byte key, and ML-DSA-65 (empty context) over
    /// the rebuilt digest. No freshness check (that needs a block time: see ``verifySet``).
    public static func verify(_ attestation: Attestation, mikPublicKey: [UInt8], dnaHash: [UInt8], seedPublicKey: [UInt8]) -> Bool {
        guard attestation.seedID < AttestationLimits.seedCount,
              attestation.signature.count == AttestationLimits.signatureBytes,
              seedPublicKey.count == AttestationLimits.publicKeyBytes,
              let key = try? MLDSA65.PublicKey(rawRepresentation: seedPublicKey) else {
            return false
        }
        let digest = AttestationMessage.digest(
            mikPublicKey: mikPublicKey, dnaHash: dnaHash, timestamp: attestation.timestamp, seedID: attestation.seedID)
        return key.isValidSignature(attestation.signature, for: digest)
    }

    /// What one entry of a set came to, in order (the C++ node logs the same verdicts).
    public enum EntryVerdict: Sendable, Equatable {
        case valid
        /// Seed id 4 or more.
        case invalidSeedID
        /// A seed that already has a valid entry earlier in the set.
        case duplicateSeed
        /// The block is earlier than the attestation or more than an hour after it.
        case stale(secondsBeforeBlock: Int64)
        /// The signature does not verify.
        case badSignature
    }

    /// The outcome of ``verifySet(_:mikPublicKey:dnaHash:seedPublicKeys:blockTime:)``.
    public struct SetVerdict: Sendable, Equatable {
        /// One verdict per entry.
        public let entries: [EntryVerdict]
        /// Valid entries from distinct seeds.
        public var validCount: Int { entries.filter { $0 == .valid }.count }
        /// Nil when the set passes; else the C++ node's error text.
        public let error: String?
        /// Whether the set passes.
        public var passes: Bool { error == nil }
    }

    /// Checks a registration's attestations as consensus does: the chain must list exactly 4 seed
    /// keys; entries with an invalid seed id, a seed already counted, or a timestamp outside
    /// [block time − 3600, block time] are skipped; a seed counts once its signature verifies; at
    /// least 3 must count.
    public static func verifySet(_ attestations: [Attestation], mikPublicKey: [UInt8], dnaHash: [UInt8],
                                 seedPublicKeys: [[UInt8]], blockTime: Int64) -> SetVerdict {
        guard seedPublicKeys.count == AttestationLimits.seedCount else {
            return SetVerdict(entries: [], error: "Invalid seed pubkey count")
        }
        var counted = Set<UInt8>()
        var verdicts: [EntryVerdict] = []
        for attestation in attestations {
            let verdict: EntryVerdict
            let age = blockTime - Int64(attestation.timestamp)
            if attestation.seedID >= AttestationLimits.seedCount {
                verdict = .invalidSeedID
            } else if counted.contains(attestation.seedID) {
                verdict = .duplicateSeed
            } else if age < 0 || age > AttestationLimits.validityWindowSeconds {
                verdict = .stale(secondsBeforeBlock: age)
            } else if verify(attestation, mikPublicKey: mikPublicKey, dnaHash: dnaHash,
                             seedPublicKey: seedPublicKeys[Int(attestation.seedID)]) {
                counted.insert(attestation.seedID)
                verdict = .valid
            } else {
                verdict = .badSignature
            }
            verdicts.append(verdict)
        }
        let valid = counted.count
        guard valid >= AttestationLimits.minimumAttestations else {
            return SetVerdict(entries: verdicts, error: "Insufficient valid attestations: \(valid) of "
                + "\(AttestationLimits.minimumAttestations) required (checked \(attestations.count) entries)")
        }
        return SetVerdict(entries: verdicts, error: nil)
    }
}
