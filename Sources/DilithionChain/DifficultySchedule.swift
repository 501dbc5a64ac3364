import DilithionWire

/// The `nBits` rule of a retargeting network, as the C++ node's `GetNextWorkRequired`
/// (`src/consensus/pow.cpp`) computes it from its chain parameters (`src/core/chainparams.cpp`).
///
/// By height of the new header, the first that applies:
/// 1. an ASERT era (``asertEras``): the target follows the anchor's exponentially with the schedule
///    drift of the parent, half-life ``asertHalfLife``;
/// 2. a retarget height (a multiple of the interval: ``retargetInterval``, then
///    ``shortRetargetInterval`` from ``shortRetargetHeight``): the parent's target times the last
///    interval's timespan over the planned one, the timespan clamped to a factor of 4 (2 from
///    ``shortRetargetHeight``, 4 again from ``v3Height``);
/// 3. the emergency adjustment (EDA, from ``emergencyHeight``): when the new header's time is more
///    than 6 block spacings (15 from ``v3Height``) after its parent's, the parent's target grows by
///    5/4 for each further 6 (15) spacings begun, at most 20 times;
/// 4. otherwise the parent's bits.
///
/// Results of 2 and 3 are bounded by ``hardestBits`` and ``easiestBits`` compared as integers, as
/// the C++ code does; from ``compactFixHeight`` the compact encoding no longer carries a sign bit.
/// The arithmetic is the C++ code's, bit for bit (``RetargetArithmetic``).
public struct DifficultySchedule: Sendable, Equatable {
    /// From `fromHeight` on, ASERT anchored at the header at `anchorHeight`.
    public struct AsertEra: Sendable, Equatable {
        public var fromHeight: Int
        public var anchorHeight: Int

        public init(fromHeight: Int, anchorHeight: Int) {
            self.fromHeight = fromHeight
            self.anchorHeight = anchorHeight
        }
    }

    /// The genesis bits (what a zero parent `nBits` falls back to).
    public var genesisBits: UInt32
    /// The planned seconds between blocks (C++ `blockTime`).
    public var blockSpacing: Int64
    /// Blocks between retargets before ``shortRetargetHeight`` (C++ `difficultyAdjustment`).
    public var retargetInterval: Int
    /// Blocks between retargets from ``shortRetargetHeight`` (C++ `difficultyAdjustmentV2`).
    public var shortRetargetInterval: Int
    /// C++ `difficultyForkHeight`.
    public var shortRetargetHeight: Int
    /// Timespan clamp factor from ``shortRetargetHeight`` until ``v3Height`` (C++ `difficultyMaxChange`).
    public var shortRetargetMaxFactor: Int
    /// C++ `difficultyV3ForkHeight`: clamp factor 4 again and an EDA threshold and step of 15 spacings.
    public var v3Height: Int
    /// C++ `edaActivationHeight`; nil when the network has no EDA.
    public var emergencyHeight: Int?
    /// C++ `compactEncodingFixHeight`.
    public var compactFixHeight: Int
    /// ASERT eras, by ascending ``AsertEra/fromHeight`` (empty: no ASERT).
    public var asertEras: [AsertEra]
    /// C++ `asertHalflife`, in seconds.
    public var asertHalfLife: Int64
    /// C++ `MIN_DIFFICULTY_BITS` (the hardest target a computed value may name).
    public var hardestBits: UInt32
    /// C++ `MAX_DIFFICULTY_BITS` (the easiest).
    public var easiestBits: UInt32

    public init(
        genesisBits: UInt32, blockSpacing: Int64, retargetInterval: Int, shortRetargetInterval: Int,
        shortRetargetHeight: Int, shortRetargetMaxFactor: Int, v3Height: Int, emergencyHeight: Int?,
        compactFixHeight: Int, asertEras: [AsertEra], asertHalfLife: Int64,
        hardestBits: UInt32 = 0x1D00_FFFF, easiestBits: UInt32 = 0x1F0F_FFFF
    ) {
        self.genesisBits = genesisBits
        self.blockSpacing = blockSpacing
        self.retargetInterval = retargetInterval
        self.shortRetargetInterval = shortRetargetInterval
        self.shortRetargetHeight = shortRetargetHeight
        self.shortRetargetMaxFactor = shortRetargetMaxFactor
        self.v3Height = v3Height
        self.emergencyHeight = emergencyHeight
        self.compactFixHeight = compactFixHeight
        self.asertEras = asertEras
        self.asertHalfLife = asertHalfLife
        self.hardestBits = hardestBits
        self.easiestBits = easiestBits
    }

    /// Mainnet: 2016-block retarget; 360-block retarget (clamp 2) and the compact fix from 18,500;
    /// clamp 4 and the 15-spacing EDA from 20,520; EDA from 7,034; ASERT (half-life 34,560 s)
    /// anchored at 23,039 from 23,040 and re-anchored at 24,499 from the timestamp fork at 24,500.
    public static let mainnet = DifficultySchedule(
        genesisBits: 0x1E01_FFFE, blockSpacing: 240, retargetInterval: 2016, shortRetargetInterval: 360,
        shortRetargetHeight: 18_500, shortRetargetMaxFactor: 2, v3Height: 20_520, emergencyHeight: 7034,
        compactFixHeight: 18_500,
        asertEras: [AsertEra(fromHeight: 23_040, anchorHeight: 23_039), AsertEra(fromHeight: 24_500, anchorHeight: 24_499)],
        asertHalfLife: 34_560)

    /// Testnet: every fork at 0, so a 360-block retarget with clamp 4, the 15-spacing EDA (60 s
    /// blocks: after 15 minutes) and the compact fix from genesis; ASERT off (C++
    /// `asertActivationHeight` 999,999,999, and its `timestampValidationHeight` 0 does not
    /// re-anchor: the C++ code requires it to be positive).
    public static let testnet = DifficultySchedule(
        genesisBits: 0x1D00_FFFF, blockSpacing: 60, retargetInterval: 2016, shortRetargetInterval: 360,
        shortRetargetHeight: 0, shortRetargetMaxFactor: 2, v3Height: 0, emergencyHeight: 0,
        compactFixHeight: 0, asertEras: [], asertHalfLife: 8640)

    /// The bits the C++ node requires of a header at `height` (≥ 1) with time `time` whose parent is
    /// `parent` (at `height − 1`), reading older headers of the branch through `ancestry`; nil when
    /// the parent is unknown. A branch lacking the anchor or the first header of the interval (never
    /// so in a tree that holds every ancestor) gets the parent's bits, the C++ fallback.
    public func requiredBits(
        height: Int, time: UInt32, parent: Hash256, ancestry: some HeaderAncestry
    ) -> UInt32? {
        guard height >= 1, let parentHeader = ancestry.header(atHeight: height - 1, onBranchOf: parent) else {
            return nil
        }
        if let era = asertEras.last(where: { height >= $0.fromHeight }) {
            guard let anchor = ancestry.header(atHeight: era.anchorHeight, onBranchOf: parent) else {
                return parentHeader.bits
            }
            return asertBits(
                anchor: anchor, anchorHeight: era.anchorHeight, parentTime: parentHeader.time, parentHeight: height - 1)
        }
        let interval = height >= shortRetargetHeight ? shortRetargetInterval : retargetInterval
        guard height % interval == 0 else {
            // A zero parent nBits gives the genesis bits at once, without EDA (the C++ order).
            guard parentHeader.bits != 0 else { return genesisBits }
            return emergencyBits(height: height, time: time, parentTime: parentHeader.time, parentBits: parentHeader.bits)
                ?? parentHeader.bits
        }
        guard let first = ancestry.header(atHeight: height - interval, onBranchOf: parent) else {
            return parentHeader.bits
        }
        return retargetBits(height: height, interval: interval, parent: parentHeader, first: first)
    }

    /// Every `interval` blocks: the parent's target scaled by the interval's timespan (parent time
    /// minus the time of the header `interval` below the new one) over the planned timespan.
    private func retargetBits(height: Int, interval: Int, parent: BlockHeader, first: BlockHeader) -> UInt32 {
        let plannedTimespan = Int64(interval) * blockSpacing
        // The C++ code subtracts the two 32-bit times as unsigned: a parent earlier than the first
        // header wraps around to a long timespan; only equal times give the planned one (no change).
        var timespan = Int64(parent.time &- first.time)
        if timespan <= 0 { timespan = plannedTimespan }
        let factor = Int64(height >= v3Height ? 4 : height >= shortRetargetHeight ? shortRetargetMaxFactor : 4)
        timespan = min(max(timespan, plannedTimespan / factor), plannedTimespan * factor)
        let target = RetargetArithmetic.scaled(
            RetargetArithmetic.target(ofBits: parent.bits), by: UInt64(timespan), dividedBy: UInt64(plannedTimespan))
        let bits = bounded(RetargetArithmetic.compactKeepingSignBit(target))
        // Here the C++ code bounds first and fixes the encoding after.
        return height >= compactFixHeight ? RetargetArithmetic.fixingSignBit(bits) : bits
    }

    /// The EDA bits, or nil when it does not apply (before ``emergencyHeight``, a zero time, or a
    /// gap within the threshold).
    private func emergencyBits(height: Int, time: UInt32, parentTime: UInt32, parentBits: UInt32) -> UInt32? {
        guard let emergencyHeight, height >= emergencyHeight, time > 0 else { return nil }
        let spacings: Int64 = height >= v3Height ? 15 : 6
        let threshold = spacings * blockSpacing
        let gap = Int64(time) - Int64(parentTime)
        guard gap > threshold else { return nil }
        // A step is as long as the threshold in both regimes (6 spacings, 15 from v3).
        let steps = min((gap - threshold) / threshold + 1, 20)
        var target = RetargetArithmetic.target(ofBits: parentBits)
        for _ in 0..<steps { target = RetargetArithmetic.scaled(target, by: 5, dividedBy: 4) }
        var bits = RetargetArithmetic.compactKeepingSignBit(target)
        // Here the C++ code fixes the encoding first and bounds after.
        if height >= compactFixHeight { bits = RetargetArithmetic.fixingSignBit(bits) }
        return bounded(bits)
    }

    /// `bits` within ``hardestBits``…``easiestBits``, compared as plain integers (C++).
    func bounded(_ bits: UInt32) -> UInt32 { min(max(bits, hardestBits), easiestBits) }
}
