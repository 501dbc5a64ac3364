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
    /// At most this many known headers may lie outside the best chain (header-spam bound).
    public var maxSideBranchHeaders: Int
    /// How far a header's time may be ahead of the supplied clock (Bitcoin's 2 hours).
    public var maxFutureBlockTimeSeconds: Int64
    /// From this height, equal-work sibling tips compete by `vdfOutput` (PROTOCOL.md §4.6).
    public var vdfLotteryActivationHeight: Int
    /// A lower-`vdfOutput` sibling replaces the tip only within this many seconds of the tip's acceptance.
    public var vdfLotteryGracePeriodSeconds: Int64
    /// fsync every block commit (survives power loss); off, commits survive the process being killed.
    public var storeFullSync: Bool

    /// The defaults for `network`: its checkpoints and lottery parameters, 100 000 side headers, 2 h drift.
    public init(network: Network, legacyHasher: (any LegacyHeaderHasher)? = nil) {
        let parameters = network.parameters
        self.parameters = parameters
        self.checkpoints = .of(network)
        self.legacyHasher = legacyHasher
        self.maxSideBranchHeaders = 100_000
        self.maxFutureBlockTimeSeconds = 2 * 60 * 60
        self.vdfLotteryActivationHeight = parameters.vdfLotteryActivationHeight
        self.vdfLotteryGracePeriodSeconds = Int64(parameters.vdfLotteryGracePeriodSeconds)
        self.storeFullSync = false
    }
}
