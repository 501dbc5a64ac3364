/// One seed attestation as it travels: from `getmikattestation` to the miner, and on-chain inside a
/// MIK-registration coinbase as seed id 1 ‖ timestamp LE32 4 ‖ signature 3309.
public struct Attestation: Sendable, Equatable {
    /// Which seed signed (0..<4): the index of its key in the chain's seed key list.
    public var seedID: UInt8
    /// Unix time the seed signed at.
    public var timestamp: UInt32
    /// The ML-DSA-65 signature over ``AttestationMessage/digest(mikPublicKey:dnaHash:timestamp:seedID:)``.
    public var signature: [UInt8]

    /// Creates an attestation.
    public init(seedID: UInt8, timestamp: UInt32, signature: [UInt8]) {
        self.seedID = seedID
        self.timestamp = timestamp
        self.signature = signature
    }

    /// The on-chain entry bytes.
    public var entryBytes: [UInt8] {
        var bytes = [seedID]
        withUnsafeBytes(of: timestamp.littleEndian) { bytes += $0 }
        return bytes + signature
    }

    /// Reads one on-chain entry at `offset` of `bytes`; nil when fewer than
    /// ``AttestationLimits/entryBytes`` remain.
    public init?(entryAt offset: Int, in bytes: [UInt8]) {
        guard offset >= 0, bytes.count - offset >= AttestationLimits.entryBytes else { return nil }
        seedID = bytes[offset]
        timestamp = UInt32(bytes[offset + 1]) | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3]) << 16 | UInt32(bytes[offset + 4]) << 24
        signature = Array(bytes[(offset + 5)..<(offset + AttestationLimits.entryBytes)])
    }
}
