/// Minimal unsigned 256-bit arithmetic for targets and chain work (little-endian words).
public struct UInt256: Hashable, Sendable, Comparable {
    /// Little-endian 64-bit words: `words[0]` is the least significant.
    public var words: [UInt64]

    public init(_ value: UInt64) { words = [value, 0, 0, 0] }
    public init(_ hash: Hash256) { words = [hash.w0, hash.w1, hash.w2, hash.w3] }
    public init(words: [UInt64]) {
        precondition(words.count == 4)
        self.words = words
    }

    public static let zero = UInt256(0)
    public static let max = UInt256(words: [.max, .max, .max, .max])

    public var hash: Hash256 { Hash256(w0: words[0], w1: words[1], w2: words[2], w3: words[3]) }
    public var isZero: Bool { words.allSatisfy { $0 == 0 } }
    public var low64: UInt64 { words[0] }

    /// Number of bytes needed to represent the value (0 for zero).
    public var significantBytes: Int {
        for index in stride(from: 3, through: 0, by: -1) where words[index] != 0 {
            return index * 8 + (64 - words[index].leadingZeroBitCount + 7) / 8
        }
        return 0
    }

    /// Shift left by whole bytes; bits past 255 are dropped.
    public func shiftedLeft(bytes: Int) -> UInt256 { shifted(bits: bytes * 8) }

    /// Shift right by whole bytes.
    public func shiftedRight(bytes: Int) -> UInt256 { shifted(bits: -bytes * 8) }

    private func shifted(bits: Int) -> UInt256 {
        var out = [UInt64](repeating: 0, count: 4)
        for bit in 0..<256 {
            let source = bit - bits
            guard source >= 0, source < 256 else { continue }
            if (words[source / 64] >> UInt64(source % 64)) & 1 == 1 { out[bit / 64] |= 1 << UInt64(bit % 64) }
        }
        return UInt256(words: out)
    }

    /// Addition that reports overflow.
    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (sum1, overflow1) = words[index].addingReportingOverflow(other.words[index])
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            out[index] = sum2
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        return (UInt256(words: out), carry != 0)
    }

    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        for index in stride(from: 3, through: 0, by: -1) where lhs.words[index] != rhs.words[index] {
            return lhs.words[index] < rhs.words[index]
        }
        return false
    }

    /// Lower-case hex, most significant first, without leading zeros ("0" for zero).
    public var hex: String {
        let text = words.reversed().map { word -> String in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
        let trimmed = text.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}

/// Cumulative chain work as the C++ node keeps it: a 256-bit number whose addition saturates to
/// all 0xFF on overflow (PROTOCOL.md §4.3).
public struct ChainWork: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt256

    public init(_ value: UInt256) { self.value = value }

    public static let zero = ChainWork(.zero)
    public static let maximum = ChainWork(.max)

    public static func + (lhs: ChainWork, rhs: ChainWork) -> ChainWork {
        let (sum, overflow) = lhs.value.addingReportingOverflow(rhs.value)
        return overflow ? .maximum : ChainWork(sum)
    }

    public static func < (lhs: ChainWork, rhs: ChainWork) -> Bool { lhs.value < rhs.value }

    /// Hex, most significant digit first (as Bitcoin's `chainwork` RPC field, without padding).
    public var description: String { value.hex }
}
