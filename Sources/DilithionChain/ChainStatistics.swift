/// A snapshot of the chain state for status output and metrics.
public struct ChainStatistics: Sendable, Equatable {
    /// The active tip: the best block with every block below it stored.
    public let tip: ChainTip
    /// The best header.
    public let bestHeader: ChainTip
    /// Headers in memory, all branches.
    public let headerCount: Int
    /// Headers on neither the best header chain nor the active chain.
    public let sideBranchHeaderCount: Int
    /// Active-chain switches of branch since start.
    public let reorgs: ReorgCounters
    /// Headers removed by pruning (expired or stale branches) since start.
    public let prunedHeaderCount: Int
    /// Headers evicted at the side-branch cap since start.
    public let evictedHeaderCount: Int
    /// The block store's totals.
    public let store: BlockStoreStatistics
}
