import Crypto

/// SHA3-256 (FIPS 202, not Keccak) helpers over swift-crypto's XKCP-backed `SHA3_256`.
public enum SHA3 {
    /// SHA3-256 of the bytes.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Hash256 {
        var hasher = SHA3_256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize().withUnsafeBytes { Hash256(unsafeDigest: $0) }
    }

    /// SHA3-256 of the bytes.
    @inlinable
    public static func hash(_ bytes: [UInt8]) -> Hash256 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// SHA3-256(SHA3-256(bytes)): the frame checksum's source.
    @inlinable
    public static func doubleHash(_ bytes: UnsafeRawBufferPointer) -> Hash256 {
        let inner = hash(bytes)
        // A homogeneous tuple is laid out contiguously; little-endian words give internal order.
        var words = (inner.w0.littleEndian, inner.w1.littleEndian, inner.w2.littleEndian, inner.w3.littleEndian)
        return withUnsafeBytes(of: &words) { hash($0) }
    }

    /// The frame checksum: the first 4 bytes of SHA3-256(SHA3-256(payload)), read as a
    /// little-endian u32 (so that it compares directly with the header's checksum field).
    @inlinable
    public static func checksum(_ payload: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: doubleHash(payload).w0)
    }

    /// The frame checksum of a byte array.
    @inlinable
    public static func checksum(_ payload: [UInt8]) -> UInt32 {
        payload.withUnsafeBytes { checksum($0) }
    }
}

extension SHA3 {
    /// SHA3-256 over data that arrives in pieces.
    public struct Incremental: Sendable {
        private var hasher = SHA3_256()

        public init() {}

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            hasher.update(bufferPointer: bytes)
        }

        /// The digest of everything passed to ``update(_:)``.
        public func finalize() -> Hash256 {
            hasher.finalize().withUnsafeBytes { Hash256(unsafeDigest: $0) }
        }

        /// The frame checksum of everything passed to ``update(_:)``: the first 4 bytes of
        /// SHA3-256 of the digest, as a little-endian u32.
        public func frameChecksum() -> UInt32 {
            let inner = finalize()
            var words = (inner.w0.littleEndian, inner.w1.littleEndian, inner.w2.littleEndian, inner.w3.littleEndian)
            return UInt32(truncatingIfNeeded: withUnsafeBytes(of: &words) { SHA3.hash($0) }.w0)
        }
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
