/// Minimal unsigned 256-bit arithmetic for targets and chain work (little-endian words).
///
/// The four words are stored inline, not in an array: the header tree keeps a chain work per header,
/// and a heap allocation per value cost ~100 bytes each and left the heap fragmented when branches
/// were pruned (HeaderSpamBench's pruning pass returned a third of the memory; now all of it).
public struct UInt256: Hashable, Sendable, Comparable {
    private var w0: UInt64
    private var w1: UInt64
    private var w2: UInt64
    private var w3: UInt64

    /// Little-endian 64-bit words: `words[0]` is the least significant.
    public var words: [UInt64] {
        get { [w0, w1, w2, w3] }
        set {
            precondition(newValue.count == 4)
            (w0, w1, w2, w3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    public init(_ value: UInt64) { (w0, w1, w2, w3) = (value, 0, 0, 0) }
    public init(_ hash: Hash256) { (w0, w1, w2, w3) = (hash.w0, hash.w1, hash.w2, hash.w3) }
    public init(words: [UInt64]) {
        precondition(words.count == 4)
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    public static let zero = UInt256(0)
    public static let max = UInt256(words: [.max, .max, .max, .max])

    /// Word `index` (0 least significant).
    private func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: return w0
        case 1: return w1
        case 2: return w2
        default: return w3
        }
    }

    public var hash: Hash256 { Hash256(w0: w0, w1: w1, w2: w2, w3: w3) }
    public var isZero: Bool { w0 == 0 && w1 == 0 && w2 == 0 && w3 == 0 }
    public var low64: UInt64 { w0 }

    /// Number of bytes needed to represent the value (0 for zero).
    public var significantBytes: Int {
        for index in stride(from: 3, through: 0, by: -1) where word(index) != 0 {
            return index * 8 + (64 - word(index).leadingZeroBitCount + 7) / 8
        }
        return 0
    }

    /// Shift left by whole bytes; bits past 255 are dropped.
    public func shiftedLeft(bytes: Int) -> UInt256 { shifted(bits: bytes * 8) }

    /// Shift right by whole bytes.
    public func shiftedRight(bytes: Int) -> UInt256 { shifted(bits: -bytes * 8) }

    private func shifted(bits: Int) -> UInt256 {
        var out: [UInt64] = [0, 0, 0, 0]
        for bit in 0..<256 {
            let source = bit - bits
            guard source >= 0, source < 256 else { continue }
            if (word(source / 64) >> UInt64(source % 64)) & 1 == 1 { out[bit / 64] |= 1 << UInt64(bit % 64) }
        }
        return UInt256(words: out)
    }

    /// Addition that reports overflow.
    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var result = UInt256(0)
        var carry: UInt64 = 0
        func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let (sum1, overflow1) = a.addingReportingOverflow(b)
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
            return sum2
        }
        result.w0 = add(w0, other.w0)
        result.w1 = add(w1, other.w1)
        result.w2 = add(w2, other.w2)
        result.w3 = add(w3, other.w3)
        return (result, carry != 0)
    }

    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        if lhs.w3 != rhs.w3 { return lhs.w3 < rhs.w3 }
        if lhs.w2 != rhs.w2 { return lhs.w2 < rhs.w2 }
        if lhs.w1 != rhs.w1 { return lhs.w1 < rhs.w1 }
        return lhs.w0 < rhs.w0
    }

    /// Lower-case hex, most significant first, without leading zeros ("0" for zero).
    public var hex: String {
        let text = [w3, w2, w1, w0].map { word -> String in
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
