/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit pseudorandom function.
///
/// Used for compact-block short ids (PROTOCOL.md §3.9: the low 48 bits of SipHash-2-4 of a txid)
/// and, with a secret per-node key, wherever the node needs a choice that an outsider cannot
/// predict or steer (which peers relay an address). Input is absorbed as little-endian 64-bit
/// words; ``write(_:)-(UInt64)`` and byte input may be mixed only at word boundaries, which is
/// all the callers need. A value type: copy it to hash several messages under one key prefix.
public struct SipHasher: Sendable {
    private var v0: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    /// Bytes of a partial word not yet absorbed, low byte first.
    private var tail: UInt64 = 0
    /// Bytes absorbed so far (only its low 8 bits enter the final block, as the algorithm says).
    private var length: UInt64 = 0

    /// A hasher keyed with the 128-bit key `k0 ‖ k1` (each a little-endian half of the key).
    public init(k0: UInt64, k1: UInt64) {
        v0 = 0x736F_6D65_7073_6575 ^ k0
        v1 = 0x646F_7261_6E64_6F6D ^ k1
        v2 = 0x6C79_6765_6E65_7261 ^ k0
        v3 = 0x7465_6462_7974_6573 ^ k1
    }

    /// Absorbs one 64-bit word (equivalent to its 8 little-endian bytes). Call only at a word
    /// boundary (after whole words so far).
    public mutating func write(_ word: UInt64) {
        precondition(length & 7 == 0, "SipHasher.write(UInt64) after a partial word")
        compress(word)
        length &+= 8
    }

    /// Absorbs bytes.
    public mutating func write<C: Collection>(bytes: C) where C.Element == UInt8 {
        for byte in bytes {
            tail |= UInt64(byte) << ((length & 7) * 8)
            length &+= 1
            if length & 7 == 0 {
                compress(tail)
                tail = 0
            }
        }
    }

    /// Absorbs a 256-bit hash as its four little-endian words (the same as its 32 internal-order bytes).
    public mutating func write(_ hash: Hash256) {
        write(hash.w0)
        write(hash.w1)
        write(hash.w2)
        write(hash.w3)
    }

    /// The 64-bit result. The hasher is left unchanged, so more input may follow.
    public func finalize() -> UInt64 {
        var copy = self
        copy.compress(tail | (length << 56))
        copy.v2 ^= 0xFF
        for _ in 0..<4 { copy.round() }
        return copy.v0 ^ copy.v1 ^ copy.v2 ^ copy.v3
    }

    /// SipHash-2-4 of `bytes` under the key `k0 ‖ k1`.
    public static func hash<C: Collection>(k0: UInt64, k1: UInt64, bytes: C) -> UInt64 where C.Element == UInt8 {
        var hasher = SipHasher(k0: k0, k1: k1)
        hasher.write(bytes: bytes)
        return hasher.finalize()
    }

    /// SipHash-2-4 of a 256-bit hash's 32 internal-order bytes under the key `k0 ‖ k1`.
    public static func hash(k0: UInt64, k1: UInt64, _ value: Hash256) -> UInt64 {
        var hasher = SipHasher(k0: k0, k1: k1)
        hasher.write(value)
        return hasher.finalize()
    }

    private mutating func compress(_ word: UInt64) {
        v3 ^= word
        round()
        round()
        v0 ^= word
    }

    private mutating func round() {
        v0 &+= v1
        v1 = v1.rotatedLeft(by: 13)
        v1 ^= v0
        v0 = v0.rotatedLeft(by: 32)
        v2 &+= v3
        v3 = v3.rotatedLeft(by: 16)
        v3 ^= v2
        v0 &+= v3
        v3 = v3.rotatedLeft(by: 21)
        v3 ^= v0
        v2 &+= v1
        v1 = v1.rotatedLeft(by: 17)
        v1 ^= v2
        v2 = v2.rotatedLeft(by: 32)
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}
