import DilithionWire

/// The timestamp rules a header must meet beyond the clock limit
/// (``ChainConfiguration/maxFutureBlockTimeSeconds``), by height, as far as the C++ node applies them
/// to the real chain.
///
/// The C++ node checks the median time past at header time only above its highest checkpoint, and
/// on blocks only from its timestamp fork and above its assume-valid height (`block_processing.cpp`:
/// the historical chain there holds blocks whose times break it). So the median rule starts above
/// both, and the minimum spacing (`minBlockTimestampGap`, DilV from 37,000) above the assume-valid
/// height too.
public struct TimestampRule: Sendable, Equatable {
    /// From this height a header's time must be later than the median of the 11 headers before it.
    public var medianTimePastHeight: Int
    /// From ``minimumSpacingHeight``, a header's time must be at least this many seconds after its
    /// parent's (0: no such rule).
    public var minimumSpacing: Int64
    public var minimumSpacingHeight: Int

    public init(medianTimePastHeight: Int, minimumSpacing: Int64 = 0, minimumSpacingHeight: Int = 0) {
        self.medianTimePastHeight = medianTimePastHeight
        self.minimumSpacing = minimumSpacing
        self.minimumSpacingHeight = minimumSpacingHeight
    }

    /// Every rule from genesis, no minimum spacing (regtest, and testnet: see ``ChainConfiguration``).
    public static let fromGenesis = TimestampRule(medianTimePastHeight: 0)

    /// Throws when `header` at `height` comes too soon after its parent's time `parentTime`.
    func checkSpacing(_ header: BlockHeader, height: Int, parentTime: UInt32) throws(ChainRejection) {
        guard minimumSpacing > 0, height >= minimumSpacingHeight else { return }
        let earliest = Int64(parentTime) + minimumSpacing
        if Int64(header.time) < earliest { throw .timeTooSoon(time: header.time, earliest: earliest) }
    }
}
