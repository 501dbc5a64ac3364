/// A 256-bit hash (`uint256` / `hash32`) in the wire's internal byte order.
///
/// Stored as four little-endian 64-bit words, so equality and hashing are cheap. Byte 31 is the
/// most significant byte for proof-of-work and chain-work comparisons; "display hex" (logs, RPC,
/// chain parameters) is the byte-reversed hex, Bitcoin's convention.
public struct Hash256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Words in little-endian order: `words.0` holds bytes 0–7.
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64

    /// The all-zero hash (used as "no previous block" and "no hashStop").
    public static let zero = Hash256(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Creates a hash from 32 bytes in internal (wire) order.
    public init<C: Collection>(internalBytes bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 32, "Hash256 needs exactly 32 bytes")
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index / 8] |= UInt64(byte) << (UInt64(index % 8) * 8)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Parses display hex (64 hex digits, byte-reversed). Returns nil for anything else.
    public init?(displayHex: String) {
        guard let raw = HexCoding.decode(displayHex), raw.count == 32 else { return nil }
        self.init(internalBytes: raw.reversed())
    }

    /// Parses internal-order hex (64 hex digits, as the bytes appear on the wire).
    public init?(internalHex: String) {
        guard let raw = HexCoding.decode(internalHex), raw.count == 32 else { return nil }
        self.init(internalBytes: raw)
    }

    /// The 32 bytes in internal (wire) order.
    public var internalBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 0, to: 64, by: 8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// Byte-reversed hex, as logs, RPC and chain parameters print hashes.
    public var displayHex: String { HexCoding.encode(internalBytes.reversed()) }

    /// Hex of the internal byte order.
    public var internalHex: String { HexCoding.encode(internalBytes) }

    public var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

    public var description: String { displayHex }

    /// Compares as 256-bit little-endian numbers (byte 31 most significant), like the C++
    /// `HashLessThan` and PoW checks.
    public static func < (lhs: Hash256, rhs: Hash256) -> Bool {
        if lhs.w3 != rhs.w3 { return lhs.w3 < rhs.w3 }
        if lhs.w2 != rhs.w2 { return lhs.w2 < rhs.w2 }
        if lhs.w1 != rhs.w1 { return lhs.w1 < rhs.w1 }
        return lhs.w0 < rhs.w0
    }
}
