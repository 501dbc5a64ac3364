/// A snapshot of the chain state for status output and metrics.
public struct ChainStatistics: Sendable, Equatable {
    /// The highest block on the best chain with every block up to it stored.
    public let tip: ChainTip
    /// The best header.
    public let bestHeader: ChainTip
    /// Headers in memory, all branches.
    public let headerCount: Int
    /// Headers outside the best chain.
    public let sideBranchHeaderCount: Int
    /// The block store's totals.
    public let store: BlockStoreStatistics
}
