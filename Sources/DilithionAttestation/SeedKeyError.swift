/// Why a seed attestation key could not be made, read, written or used.
public enum SeedKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The seed is not 32 bytes (or BoringSSL refused it).
    case invalidSeed
    /// The key file's seed does not produce the public key whose hash the file holds.
    case integrityCheckFailed
    /// The system random generator failed.
    case generationFailed
    /// Signing failed (never expected with a valid key).
    case signingFailed
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The file is not a key file of ours.
    case malformed(path: String, reason: String)
    /// The file is the C++ node's expanded key, which swift-crypto cannot sign with.
    case cppKeyFile(path: String, publicKeyHex: String)
    /// The key file is readable by other users (it must be 0600).
    case unsafePermissions(path: String, mode: UInt32)

    public var description: String {
        switch self {
        case .invalidSeed: return "a seed attestation key seed must be 32 bytes"
        case .integrityCheckFailed: return "the key file's seed does not match the public key hash stored with it"
        case .generationFailed: return "could not generate a key (random generator failed)"
        case .signingFailed: return "signing failed"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .malformed(path, reason): return "\(path): not a seed attestation key file (\(reason))"
        case let .cppKeyFile(path, publicKeyHex):
            return "\(path) is a C++ node key file (expanded ML-DSA key, public key \(publicKeyHex.prefix(16))...); "
                + "swift-crypto signs only from a 32-byte seed, so this node cannot use it "
                + "(docs/operating.md, \"Seed attestation\", lists the options)"
        case let .unsafePermissions(path, mode):
            return "\(path): mode \(String(mode, radix: 8)) lets other users read the key; chmod 600 it"
        }
    }
}
