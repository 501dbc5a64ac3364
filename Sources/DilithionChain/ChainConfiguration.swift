import DilithionWire

/// Everything the header tree and chain state need to know about the network and their limits.
public struct ChainConfiguration: Sendable {
    /// The network's parameters (genesis block, magic, VDF lottery defaults).
    public var parameters: NetworkParameters
    /// Checkpoints enforced on headers.
    public var checkpoints: Checkpoints
    /// RandomX hasher for legacy (v < 4) headers; nil means legacy headers are refused with
    /// ``ChainRejection/legacyHasherUnavailable``.
    public var legacyHasher: (any LegacyHeaderHasher)?
    /// At most this many known headers may lie off both the best header chain and the active chain
    /// (header-spam bound); at the cap the oldest side branches without a stored block are evicted.
    public var maxSideBranchHeaders: Int
    /// At most this many headers are kept above the active tip: the bound on the header tree for
    /// headers that extend the best header chain, which the side-branch cap does not cover (VDF headers
    /// carry no proof a relay can check, so they cost a spammer nothing). Headers sync pauses at the
    /// bound and resumes as blocks are stored; 100,000 headers are about 50 MB (HeaderSpamBench).
    public var maxHeadersAheadOfTip: Int
    /// How far a header's time may be ahead of the supplied clock: 10 minutes as in the C++ node
    /// (Bitcoin's 2 hours on regtest).
    public var maxFutureBlockTimeSeconds: Int64
    /// From this height, equal-work sibling tips compete by `vdfOutput` (PROTOCOL.md §4.6).
    public var vdfLotteryActivationHeight: Int
    /// A lower-`vdfOutput` sibling replaces the tip only within this many seconds of the tip's acceptance.
    public var vdfLotteryGracePeriodSeconds: Int64
    /// What `nBits` a header must carry (context-dependent difficulty check).
    public var difficulty: DifficultyRule
    /// fsync every block commit (survives power loss); off, commits survive the process being killed.
    public var storeFullSync: Bool
    /// A branch off the active chain whose blocks nobody delivered for this long (from its first
    /// header, its last stored block, or the active tip's last move when it grows on the tip) loses
    /// its header-only records (``HeaderTree/prune(now:watching:)``). Longer than the longest stall
    /// timeout (64 s), so a block legitimately in flight never expires its branch.
    public var unbackedBranchLifetimeSeconds: Int64
    /// A side branch whose highest header is more than this many blocks below the active tip is
    /// pruned from memory (its stored blocks stay in the store and are still served).
    public var staleBranchDepth: Int
    /// The node is in initial block download while the active tip is older than this (Bitcoin
    /// Core's 24 h `DEFAULT_MAX_TIP_AGE`): a time, not a header count, so headers alone cannot
    /// change it.
    public var maxTipAgeSeconds: Int64

    /// The defaults for `network`: its checkpoints, lottery parameters and difficulty rule, 100 000
    /// side headers, 10 minutes of drift (2 h on regtest).
    public init(network: Network, legacyHasher: (any LegacyHeaderHasher)? = nil) {
        let parameters = network.parameters
        self.parameters = parameters
        self.checkpoints = .of(network)
        self.legacyHasher = legacyHasher
        self.maxSideBranchHeaders = 100_000
        self.maxHeadersAheadOfTip = 100_000
        // The C++ node's MAX_FUTURE_BLOCK_TIME_V2 (10 minutes) applies on mainnet from height 24,500
        // and on testnet and DilV from genesis; a header further ahead would be refused by the C++
        // network, and every minute allowed is a minute of free VDF headers (HeaderSpamBench).
        // Regtest keeps Bitcoin's 2 hours.
        self.maxFutureBlockTimeSeconds = network == .regtest ? 2 * 60 * 60 : 10 * 60
        self.vdfLotteryActivationHeight = parameters.vdfLotteryActivationHeight
        self.vdfLotteryGracePeriodSeconds = Int64(parameters.vdfLotteryGracePeriodSeconds)
        self.storeFullSync = false
        self.unbackedBranchLifetimeSeconds = 120
        self.staleBranchDepth = 1_000
        self.maxTipAgeSeconds = 24 * 60 * 60
        switch network {
        case .regtest: self.difficulty = .fixed(bits: RegtestGenesis.bits)
        case .dilv: self.difficulty = .fixed(bits: 0x1D00_FFFF)  // the DilV genesis bits; never retargets
        case .testnet, .mainnet: self.difficulty = .vdfBounded(hardest: 0x1D00_FFFF, easiest: 0x1F0F_FFFF)
        }
    }
}

/// The contextual `nBits` rule of a network. A VDF header (nVersion ≥ 4) has no proof of work that a
/// header-only relay can check, so without a rule one header claiming target 1 (near-2^256 work)
/// would outweigh the whole chain and become the best header.
///
/// What the C++ node computes (its `GetNextWorkRequired`, checked there only on full blocks):
/// DilV and regtest never retarget; testnet eases difficulty after long gaps and retargets every
/// 360 blocks, always clamped between `MIN_DIFFICULTY_BITS` 0x1d00ffff (hardest) and
/// `MAX_DIFFICULTY_BITS` 0x1f0fffff (easiest). We check at header time: exactly the fixed bits on
/// DilV and regtest, and that clamp on testnet (and on any VDF header on mainnet), which caps one
/// header's work at that of 0x1d00ffff without porting the testnet retarget arithmetic.
public enum DifficultyRule: Sendable, Equatable {
    /// Every header carries exactly `bits` (regtest: our genesis bits; DilV: 0x1d00ffff).
    case fixed(bits: UInt32)
    /// A VDF header's `nBits`, compared as an unsigned integer, lies in `hardest...easiest` (legacy
    /// headers are bound by their proof of work instead).
    case vdfBounded(hardest: UInt32, easiest: UInt32)
    /// `nBits` is only checked for a non-zero target (and legacy headers against their hash).
    case unchecked

    /// The bits required or allowed for `header`, or nil when it complies.
    func violation(_ header: BlockHeader) -> ChainRejection? {
        switch self {
        case .fixed(let bits):
            return header.bits == bits ? nil : .unexpectedBits(bits: header.bits, expected: bits)
        case .vdfBounded(let hardest, let easiest):
            guard header.isVDF, !(hardest...easiest).contains(header.bits) else { return nil }
            return .unexpectedBits(bits: header.bits, expected: header.bits < hardest ? hardest : easiest)
        case .unchecked:
            return nil
        }
    }
}
