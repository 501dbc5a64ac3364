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
    /// Index of the parent in the tree's storage; -1 for genesis.
    let parentIndex: Int
}
