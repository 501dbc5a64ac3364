/// Totals of the block store.
public struct BlockStoreStatistics: Sendable, Equatable {
    /// Stored blocks on all branches.
    public let blockCount: Int
    /// Sum of the stored `block` payload sizes.
    public let totalBytes: Int
    /// Highest height of any stored block (any branch); -1 when empty.
    public let highestStoredHeight: Int
}
