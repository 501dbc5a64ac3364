import DilithionWire

/// The `nBits` a network requires of a header, as the C++ node's `GetNextWorkRequired` computes it.
///
/// Enforced at header time, where the C++ node checks it only on full blocks: a VDF header
/// (nVersion ≥ 4) has no proof of work a relay can check, so its `nBits` is the only bound on the
/// work it claims, and one header claiming target 1 would otherwise outweigh the whole chain.
/// Legacy headers at or below the highest checkpoint are exempt (see ``violation(_:height:parent:ancestry:vouchedByCheckpoint:)``).
public enum DifficultyRule: Sendable, Equatable {
    /// Every header carries exactly `bits` (regtest and the legacy regtest: their genesis bits;
    /// DilV: 0x1d00ffff, the C++ node returns the genesis bits there without retargeting).
    case fixed(bits: UInt32)
    /// Mainnet and testnet: the C++ retarget, EDA and ASERT rules by height.
    case schedule(DifficultySchedule)
    /// `nBits` is only checked for a non-zero target (tests of other parts of the tree).
    case unchecked

    /// The bits required of a header at `height` with time `time` whose parent is `parent`, or nil
    /// when the rule checks nothing (``unchecked``) or the parent is unknown.
    public func requiredBits(height: Int, time: UInt32, parent: Hash256, ancestry: some HeaderAncestry) -> UInt32? {
        switch self {
        case .fixed(let bits): return bits
        case .schedule(let schedule):
            return schedule.requiredBits(height: height, time: time, parent: parent, ancestry: ancestry)
        case .unchecked: return nil
        }
    }

    /// Why `header` at `height` on the branch of `parent` carries the wrong bits, or nil.
    ///
    /// `vouchedByCheckpoint` (the header lies at or below the highest checkpoint) exempts legacy
    /// headers: the C++ node checks no `nBits` there (headers sync skips every proof at or below it,
    /// block validation skips `nBits` while its chain is below it), and the real mainnet chain
    /// carries bits no rule reproduces there (no `nBits` check at all before early February 2026,
    /// blocks with stale bits accepted through the fork-switch path before the 24,476 checkpoint).
    /// Their proof of work still bounds the work they claim. VDF headers are never exempt.
    func violation(
        _ header: BlockHeader, height: Int, parent: Hash256, ancestry: some HeaderAncestry, vouchedByCheckpoint: Bool
    ) -> ChainRejection? {
        if vouchedByCheckpoint, !header.isVDF { return nil }
        guard let expected = requiredBits(height: height, time: header.time, parent: parent, ancestry: ancestry),
            expected != header.bits
        else { return nil }
        return .unexpectedBits(bits: header.bits, expected: expected)
    }
}
