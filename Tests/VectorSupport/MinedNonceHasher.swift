import DilithionWire

/// A stand-in for RandomX in tests, shared by the test targets: SHA3-256 of the bytes and one more
/// byte (so that it differs from the header's cache key, the plain SHA3-256, as RandomX does),
/// except that a header whose nonce is ``minedNonce`` hashes to a value with its top 64 bits clear,
/// below any target the tests use. "Mining" a test header is setting its nonce; any other nonce
/// (garbage) fails a target of 0x1f00ffff or harder, as a real header with a random nonce would.
public struct MinedNonceHasher: LegacyHeaderHasher {
    public static let minedNonce: UInt32 = 0x600D_600D

    public init() {}

    public func hash(legacyHeader: [UInt8]) -> Hash256 { Self.hash(legacyHeader) }

    public static func hash(_ bytes: [UInt8]) -> Hash256 {
        var hash = SHA3.hash(bytes + [0x52])
        guard bytes.count >= 80 else { return hash }
        let nonce = UInt32(bytes[76]) | UInt32(bytes[77]) << 8 | UInt32(bytes[78]) << 16 | UInt32(bytes[79]) << 24
        if nonce == minedNonce { hash.w3 = 0 }
        return hash
    }
}
