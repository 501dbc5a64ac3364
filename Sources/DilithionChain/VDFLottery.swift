import DilithionWire

/// The VDF lottery (PROTOCOL.md §4.6, C++ `ShouldReplaceVDFTip`) for both chains of a
/// ``HeaderTree``: at equal work, a sibling of a chain's tip with a lower `vdfOutput` replaces the
/// tip while `now` is within the grace period of the first header (best header chain) or block
/// (active chain) that reached that height by extension. Each chain has its own grace clock.
///
/// A value type owned by the tree (and through it guarded by ``ChainState``'s lock).
struct VDFLottery: Sendable {
    /// When and at which height a chain's tip height was first reached by extension.
    struct Anchor: Sendable, Equatable {
        let height: Int
        let time: Int64
    }

    let activationHeight: Int
    let gracePeriodSeconds: Int64
    /// The best header chain's grace clock, anchored to the first header at its tip height.
    var best: Anchor?
    /// The active chain's, anchored to the first block at its tip height (C++
    /// `m_vdfTipAcceptTime`/`m_vdfTipAcceptHeight`).
    var active: Anchor?

    init(configuration: ChainConfiguration) {
        activationHeight = configuration.vdfLotteryActivationHeight
        gracePeriodSeconds = configuration.vdfLotteryGracePeriodSeconds
    }

    /// The grace clock a chain extended to `header` at `height` starts, nil when the lottery does
    /// not apply there (a legacy header, or below the activation height).
    func anchor(extendingTo header: BlockHeader, height: Int, now: Int64) -> Anchor? {
        header.isVDF && height >= activationHeight ? Anchor(height: height, time: now) : nil
    }

    /// Whether `challenger` (with cumulative `work`, child of the record at `parentIndex`) replaces
    /// a chain's `tip` by the lottery: a sibling of the tip with equal work that ``favours(_:over:height:anchor:now:)``
    /// wins against it. On the best header chain it makes the sibling's block worth downloading; on
    /// the active chain it applies when that block is stored.
    func siblingWins(
        _ challenger: BlockHeader, work: ChainWork, parentIndex: Int, over tip: HeaderRecord, anchor: Anchor?, now: Int64
    ) -> Bool {
        guard tip.parentIndex == parentIndex, work == tip.chainWork else { return false }
        return favours(challenger, over: tip.header, height: tip.height, anchor: anchor, now: now)
    }

    /// The comparison shared by both chains: both v ≥ 4 at or above the activation height, non-zero
    /// outputs, the challenger's `vdfOutput` lower (byte 31 most significant), and `now` within the
    /// grace period of the chain's `anchor` at the tip's height.
    private func favours(_ challenger: BlockHeader, over tip: BlockHeader, height: Int, anchor: Anchor?, now: Int64) -> Bool {
        guard height >= activationHeight, challenger.isVDF, tip.isVDF,
            !challenger.vdfOutput.isZero, !tip.vdfOutput.isZero, challenger.vdfOutput < tip.vdfOutput,
            let anchor, anchor.height == height
        else { return false }
        return now - anchor.time <= gracePeriodSeconds
    }
}
