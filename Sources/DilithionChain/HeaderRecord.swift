import DilithionWire

/// One header in the ``HeaderTree`` with what the tree computed about it.
public struct HeaderRecord: Sendable, Equatable {
    /// The block hash (SHA3-256 or RandomX by version).
    public let hash: Hash256
    /// The header as received.
    public let header: BlockHeader
    /// Distance from genesis (genesis is 0).
    public let height: Int
    /// Cumulative work up to and including this header (C++ formula, PROTOCOL.md §4.3).
    public let chainWork: ChainWork
    /// Whether the block is stored, or the header failed.
    public internal(set) var status: HeaderStatus
    /// True when this block and the blocks of all its ancestors are stored (Bitcoin Core's "has all
    /// data"): only such a record may be on the active chain.
    public internal(set) var isLinked: Bool
    /// Index of the parent in the tree's storage; -1 for genesis. Rewritten when the tree compacts.
    var parentIndex: Int
    /// When the header entered the tree, in seconds of the caller's clock (branch expiry).
    var insertedAt: Int64
    /// When its block was stored (0 before): delivery progress of its branch.
    var storedAt: Int64
}
