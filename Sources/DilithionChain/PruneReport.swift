import DilithionWire

/// What ``HeaderTree/prune(now:watching:)`` removed.
public struct PruneReport: Sendable, Equatable {
    /// Records removed.
    public var removedHeaders = 0
    /// Branches whose headers were removed because nobody delivered their blocks in time.
    public var expiredBranches = 0
    /// Branches removed because they fell far behind the active tip.
    public var staleBranches = 0
    /// Watched headers removed with an expired branch that had more work than the active tip: the
    /// peers that claimed them announced blocks they did not deliver.
    public var withheld: Set<Hash256> = []
    /// How the best header chain moved when part of it expired.
    public var bestChainChange: ChainChange?

    /// A report of nothing removed.
    public init() {}
}
