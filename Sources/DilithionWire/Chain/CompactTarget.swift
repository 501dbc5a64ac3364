/// The compact `nBits` encoding of a proof-of-work target, and the C++ node's chain-work formula.
public struct CompactTarget: Sendable, Hashable {
    public let bits: UInt32

    public init(bits: UInt32) { self.bits = bits }

    /// The 256-bit target, or nil when it is zero (zero word, zero size, or size > 32): such a
    /// target can never be met. Bitcoin's compact rules: size = bits >> 24, word = bits & 0x7FFFFF,
    /// target = word · 256^(size − 3), the word shifted right for size ≤ 3.
    public var target: Hash256? {
        let size = Int(bits >> 24)
        var word = UInt64(bits & 0x007F_FFFF)
        guard word != 0, size != 0, size <= 32 else { return nil }
        if size <= 3 {
            word >>= UInt64(8 * (3 - size))
            guard word != 0 else { return nil }
            return Hash256(w0: word, w1: 0, w2: 0, w3: 0)
        }
        let value = UInt256(word).shiftedLeft(bytes: size - 3)
        return value.isZero ? nil : value.hash
    }

    /// Creates the compact encoding of a target (canonical: the word's top bit stays clear).
    public init(target: Hash256) {
        let value = UInt256(target)
        var size = value.significantBytes
        var word: UInt32
        if size <= 3 {
            word = UInt32(truncatingIfNeeded: value.low64 << UInt64(8 * (3 - size)))
        } else {
            word = UInt32(truncatingIfNeeded: value.shiftedRight(bytes: size - 3).low64)
        }
        if word & 0x0080_0000 != 0 {
            word >>= 8
            size += 1
        }
        self.bits = UInt32(size) << 24 | word
    }

    /// The work one block with this `nBits` adds, exactly as the C++ node computes it
    /// (`CBlockIndex::GetBlockProof`, PROTOCOL.md §4.3): m = bits & 0xFFFFFF; if the target or m is
    /// zero the work is all 0xFF; else ⌊(2⁶⁴−1)/m⌋ stored little-endian at byte offset
    /// clamp(32 − size, 0, 31), bytes past 31 dropped. (Not Bitcoin's 2²⁵⁶/(target+1).)
    public var blockWork: ChainWork {
        let size = Int(bits >> 24)
        let mantissa = UInt64(bits & 0x00FF_FFFF)
        guard target != nil, mantissa != 0 else { return .maximum }
        let quotient = UInt64.max / mantissa
        let offset = min(max(32 - size, 0), 31)
        return ChainWork(UInt256(quotient).shiftedLeft(bytes: offset))
    }
}
