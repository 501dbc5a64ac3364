import Crypto

/// SHA3-256 (FIPS 202, not Keccak) helpers: libcrypto's (``FrameHasher``) for large inputs,
/// swift-crypto's XKCP-backed `SHA3_256` for small ones.
public enum SHA3 {
    /// From this many bytes on, ``hash(_:)-swift.type.method`` goes through libcrypto, which absorbs
    /// about 1.35 × faster on this machine (docs/benchmarks.md): the transactions of a large block
    /// (txids) are hashed at the checksum's speed. Headers, merkle pairs and small transactions stay
    /// on swift-crypto, where a few permutations cost less than the thread-local hasher lookup.
    public static let libcryptoThreshold = 1024

    /// SHA3-256 of the bytes.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Hash256 {
        if bytes.count >= libcryptoThreshold { return FrameHasher.forCurrentThread.hash(bytes) }
        var hasher = SHA3_256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize().withUnsafeBytes { Hash256(unsafeDigest: $0) }
    }

    /// SHA3-256 of the bytes.
    @inlinable
    public static func hash(_ bytes: [UInt8]) -> Hash256 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The frame checksum: the first 4 bytes of SHA3-256(SHA3-256(payload)), read as a
    /// little-endian u32 (so that it compares directly with the header's checksum field).
    /// Computed by ``FrameHasher``, the one implementation of the checksum.
    public static func checksum(_ payload: UnsafeRawBufferPointer) -> UInt32 {
        FrameHasher.forCurrentThread.checksum(payload)
    }

    /// The frame checksum of a byte array.
    public static func checksum(_ payload: [UInt8]) -> UInt32 {
        payload.withUnsafeBytes { checksum($0) }
    }
}

extension Hash256 {
    /// Builds a hash from a 32-byte digest buffer (internal order). The layout of `Hash256` is four
    /// `UInt64`s; loading them unaligned and little-endian keeps this independent of that layout.
    @inlinable
    init(unsafeDigest digest: UnsafeRawBufferPointer) {
        precondition(digest.count == 32)
        self.init(
            w0: UInt64(littleEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            w1: UInt64(littleEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            w2: UInt64(littleEndian: digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            w3: UInt64(littleEndian: digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }
}
