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
    /// What `nBits` a header must carry (the C++ retarget rules; exact at header time).
    public var difficulty: DifficultyRule
    /// Which header layout (legacy or VDF) is valid at which height.
    public var versions: HeaderVersionRule
    /// The median-time-past and minimum-spacing rules by height.
    public var timestamps: TimestampRule
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

    /// The defaults for `network`: its checkpoints, lottery parameters, difficulty, version and
    /// timestamp rules, 100 000 side headers, 10 minutes of drift (2 h on regtest).
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
        case .regtest:
            difficulty = .fixed(bits: RegtestGenesis.bits)
            versions = .vdfOnly
            timestamps = .fromGenesis
        case .dilv:
            difficulty = .fixed(bits: 0x1D00_FFFF)  // the DilV genesis bits; never retargets
            versions = .vdfOnly
            // Median time past above the highest checkpoint (36,500) in C++ headers sync but only
            // above 44,469 (assume-valid) in its block checks: the incident range below holds
            // blocks whose times break it. The 45-second spacing (from 37,000) likewise.
            timestamps = TimestampRule(medianTimePastHeight: 44_470, minimumSpacing: 45, minimumSpacingHeight: 44_470)
        case .testnet:
            difficulty = .schedule(.testnet)
            versions = .vdfOnly
            // The C++ node checks testnet times only above its (stale) checkpoints and assume-valid
            // height (86,850), i.e. never on the VDF testnet; we keep the median rule from genesis,
            // which every captured testnet header meets, and leave its 45-second spacing unchecked.
            timestamps = .fromGenesis
        case .mainnet:
            difficulty = .schedule(.mainnet)
            versions = .legacyOnly
            // The timestamp fork (24,500) and the assume-valid height (44,000) in C++ block checks,
            // the highest checkpoint (44,000) in its headers sync.
            timestamps = TimestampRule(medianTimePastHeight: 44_001)
        }
    }
}
