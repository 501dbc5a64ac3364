import DilithionWire

/// The 32 bytes a seed signs: SHA3-256("DILV_ATTEST" ‖ MIK public key ‖ DNA hash ‖ timestamp LE32 ‖
/// seed id), exactly as the C++ node's `BuildAttestationMessage` builds them. The signature is over
/// this digest (not the preimage), with ML-DSA's empty context.
public enum AttestationMessage {
    /// The preimage, for tests and tools that want to see the bytes.
    public static func preimage(mikPublicKey: [UInt8], dnaHash: [UInt8], timestamp: UInt32, seedID: UInt8) -> [UInt8] {
        var bytes = AttestationLimits.domainTag
        bytes.reserveCapacity(bytes.count + mikPublicKey.count + dnaHash.count + 5)
        bytes += mikPublicKey
        bytes += dnaHash
        withUnsafeBytes(of: timestamp.littleEndian) { bytes += $0 }
        bytes.append(seedID)
        return bytes
    }

    /// The signed digest.
    public static func digest(mikPublicKey: [UInt8], dnaHash: [UInt8], timestamp: UInt32, seedID: UInt8) -> [UInt8] {
        SHA3.hash(preimage(mikPublicKey: mikPublicKey, dnaHash: dnaHash, timestamp: timestamp, seedID: seedID)).internalBytes
    }

    /// The MIK identity (first 20 bytes of SHA3-256 of the public key), as the C++ node logs it and
    /// keys its rate limit by it.
    public static func mikIdentity(of mikPublicKey: [UInt8]) -> [UInt8] {
        Array(SHA3.hash(mikPublicKey).internalBytes.prefix(AttestationLimits.mikIdentityBytes))
    }
}
