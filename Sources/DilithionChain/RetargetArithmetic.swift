import DilithionWire

/// The C++ node's difficulty arithmetic (`src/consensus/pow.cpp`), reproduced bit for bit, quirks
/// included: its compact encoder can set the mantissa's sign bit (fixed only from a fork height on),
/// a product is kept to 320 bits and a quotient cut to its low 256 bits, and shifts drop what falls
/// off either end.
///
/// Values are ``UInt256`` (four little-endian 64-bit words).
enum RetargetArithmetic {
    /// The target of `bits` as the C++ `CompactToBig` expands it: zero for an encoding no hash can
    /// meet (zero word, zero size, size above 32).
    static func target(ofBits bits: UInt32) -> UInt256 {
        CompactTarget(bits: bits).target.map { UInt256($0) } ?? .zero
    }

    /// The C++ `BigToCompact`: the top three significant bytes and the byte count, with no care for
    /// the sign bit (0x00800000) of the mantissa. Zero encodes as 0.
    static func compactKeepingSignBit(_ value: UInt256) -> UInt32 {
        let size = value.significantBytes
        guard size > 0 else { return 0 }
        let mantissa = size <= 3 ? value.low64 << UInt64(8 * (3 - size)) : shifted(value, right: 8 * (size - 3)).low64
        return UInt32(size) << 24 | UInt32(truncatingIfNeeded: mantissa & 0x00FF_FFFF)
    }

    /// The C++ `FixCompactEncoding`: a mantissa with its sign bit set moves one byte down and the
    /// size one up (what Bitcoin's encoder does from the start).
    static func fixingSignBit(_ bits: UInt32) -> UInt32 {
        var size = bits >> 24
        var mantissa = bits & 0x00FF_FFFF
        if mantissa & 0x0080_0000 != 0 {
            mantissa >>= 8
            size += 1
        }
        return size << 24 | mantissa
    }

    /// `value × multiplier ÷ divisor` as the C++ `Multiply256x64` and `Divide320x64` compute it:
    /// the product exactly (320 bits), the quotient rounded down and cut to its low 256 bits.
    ///
    /// The C++ multiplication gives up on multipliers above 2⁶⁴ ÷ 255; every caller's multiplier
    /// (a clamped timespan, 5, a factor below 2¹⁷) is far below that, so none is refused here.
    static func scaled(_ value: UInt256, by multiplier: UInt64, dividedBy divisor: UInt64) -> UInt256 {
        precondition(divisor > 0 && multiplier < 1 << 56, "retarget arithmetic out of its range")
        let product = multiplied(value, by: multiplier)
        var quotient = [UInt64](repeating: 0, count: 5)
        var remainder: UInt64 = 0
        for index in stride(from: 4, through: 0, by: -1) {
            (quotient[index], remainder) = divisor.dividingFullWidth((remainder, product[index]))
        }
        return UInt256(words: Array(quotient[0..<4]))
    }

    /// `(value × factor) >> 16` cut to 256 bits: ASERT's multiplication by a 16-bit fixed-point
    /// factor (the C++ code keeps bytes 2…33 of the 40-byte product).
    static func scaledBySixteenBitFraction(_ value: UInt256, factor: UInt64) -> UInt256 {
        precondition(factor < 1 << 56, "retarget arithmetic out of its range")
        let product = multiplied(value, by: factor)
        return UInt256(words: (0..<4).map { product[$0] >> 16 | product[$0 + 1] << 48 })
    }

    /// `value << count`, bits past 255 dropped.
    static func shifted(_ value: UInt256, left count: Int) -> UInt256 {
        guard count > 0 else { return value }
        guard count < 256 else { return .zero }
        let wordShift = count / 64
        let bitShift = UInt64(count % 64)
        var out = [UInt64](repeating: 0, count: 4)
        for index in stride(from: 3, through: wordShift, by: -1) {
            let source = index - wordShift
            out[index] = value.words[source] << bitShift
            if bitShift > 0, source > 0 { out[index] |= value.words[source - 1] >> (64 - bitShift) }
        }
        return UInt256(words: out)
    }

    /// `value >> count`, bits below 0 dropped.
    static func shifted(_ value: UInt256, right count: Int) -> UInt256 {
        guard count > 0 else { return value }
        guard count < 256 else { return .zero }
        let wordShift = count / 64
        let bitShift = UInt64(count % 64)
        var out = [UInt64](repeating: 0, count: 4)
        for index in 0..<(4 - wordShift) {
            let source = index + wordShift
            out[index] = value.words[source] >> bitShift
            if bitShift > 0, source < 3 { out[index] |= value.words[source + 1] << (64 - bitShift) }
        }
        return UInt256(words: out)
    }

    /// The exact 320-bit product, five little-endian words.
    private static func multiplied(_ value: UInt256, by multiplier: UInt64) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: 5)
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (high, low) = value.words[index].multipliedFullWidth(by: multiplier)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            out[index] = sum
            carry = high &+ (overflow ? 1 : 0)
        }
        out[4] = carry
        return out
    }
}
