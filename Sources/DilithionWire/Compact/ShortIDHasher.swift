/// Computes the 48-bit short transaction ids of one `cmpctblock` (PROTOCOL.md §3.9).
///
/// The SipHash-2-4 key is the first 16 bytes of SHA3-256(the header's first 80 bytes ‖ the
/// message nonce as u64 LE), read as two little-endian words; VDF fields (bytes 80–143 of a
/// version ≥ 4 header) are left out, as the C++ node leaves them out. A short id is the low 48
/// bits of SipHash-2-4 of the txid's 32 internal-order bytes.
public struct ShortIDHasher: Sendable, Equatable {
    /// The SipHash key halves.
    public let k0: UInt64
    public let k1: UInt64

    /// Short ids keep the low 48 bits (6 bytes on the wire).
    public static let mask: UInt64 = 0xFFFF_FFFF_FFFF

    /// The hasher of the compact block with this header and nonce.
    public init(header: BlockHeader, nonce: UInt64) {
        var writer = ByteWriter(capacity: BlockHeader.vdfSize + 8)
        header.write(to: &writer)
        var material = Array(writer.bytes.prefix(BlockHeader.legacySize))
        for shift in stride(from: 0, to: 64, by: 8) { material.append(UInt8(truncatingIfNeeded: nonce >> UInt64(shift))) }
        let digest = SHA3.hash(material)
        self.k0 = digest.w0
        self.k1 = digest.w1
    }

    /// The hasher of `compact`'s header and nonce.
    public init(_ compact: CompactBlockMessage) {
        self.init(header: compact.header, nonce: compact.nonce)
    }

    /// The short id of a transaction with this txid.
    public func shortID(_ txid: Hash256) -> UInt64 {
        SipHasher.hash(k0: k0, k1: k1, txid) & Self.mask
    }
}
