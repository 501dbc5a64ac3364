import DilithionWire

extension DifficultySchedule {
    /// ASERT (the C++ `GetNextWorkRequiredASERT`, after Bitcoin Cash's aserti3-2d): the anchor's
    /// target times 2^((parent time − anchor time − spacing · (parent height − anchor height + 1))
    /// / half-life), the exponent in 16-bit fixed point, its fraction through a cubic approximation
    /// of 2^x, its integer part as a shift. The new header's own time does not enter.
    func asertBits(anchor: BlockHeader, anchorHeight: Int, parentTime: UInt32, parentHeight: Int) -> UInt32 {
        let scheduleDrift =
            (Int64(parentTime) - Int64(anchor.time)) - blockSpacing * (Int64(parentHeight - anchorHeight) + 1)
        // Swift's `/` truncates toward zero like C++'s; the split below rounds toward minus infinity.
        let exponent = scheduleDrift * 65536 / asertHalfLife
        var shifts = exponent / 65536
        var fraction = exponent % 65536
        if fraction < 0 {
            shifts -= 1
            fraction += 65536
        }
        let target = RetargetArithmetic.scaledBySixteenBitFraction(
            RetargetArithmetic.target(ofBits: anchor.bits), factor: Self.twoToThe(sixteenBitFraction: UInt64(fraction)))
        let moved: UInt256
        if shifts > 0 {
            guard shifts <= 255 else { return easiestBits }
            moved = RetargetArithmetic.shifted(target, left: Int(shifts))
        } else if shifts < 0 {
            guard -shifts <= 255 else { return hardestBits }
            moved = RetargetArithmetic.shifted(target, right: Int(-shifts))
        } else {
            moved = target
        }
        guard !moved.isZero else { return hardestBits }
        return bounded(RetargetArithmetic.fixingSignBit(RetargetArithmetic.compactKeepingSignBit(moved)))
    }

    /// 2^(fraction / 65536) in 16-bit fixed point (65536 … 131071) by aserti3-2d's cubic, whose
    /// terms stay below 2⁶⁴ for every 16-bit fraction (the C++ code adds them as unsigned 64-bit
    /// numbers; the wrapping operators only state that).
    static func twoToThe(sixteenBitFraction fraction: UInt64) -> UInt64 {
        let linear = 195_766_423_245_049 &* fraction
        let square = 971_821_376 &* (fraction &* fraction)
        let cube = 5127 &* (fraction &* fraction &* fraction)
        return 65536 + ((linear &+ square &+ cube &+ (1 << 47)) >> 48)
    }
}
