import DilithionWire

/// The headers behind a branch, by height: what the rules that look back read (the difficulty of
/// the next header, the median time past).
///
/// A branch is named by its newest header (`tip`), which the conforming type must know. The header
/// tree conforms (`HeaderTree+Ancestry.swift`); the legacy-header pre-check stacks the not yet
/// hashed headers of a batch on top of it.
public protocol HeaderAncestry {
    /// The header at `height` on the branch ending at `tip` (`0 ... height(tip)`), or nil when `tip`
    /// is unknown or the branch does not reach that height.
    func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader?
}

extension HeaderAncestry {
    /// The median of the times of the (up to) 11 headers ending at `tip`, which sits at `height`
    /// (the C++ `GetMedianTimePast`).
    func medianTimePast(ofBranch tip: Hash256, height: Int) -> UInt32 {
        guard height >= 0 else { return 0 }
        let lowest = max(0, height - HeaderValidation.medianTimeSpan + 1)
        let times = (lowest...height).compactMap { self.header(atHeight: $0, onBranchOf: tip)?.time }
        return HeaderValidation.medianTimePast(times)
    }
}
