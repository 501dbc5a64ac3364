import DilithionWire

/// Validated blocks written to the store together, in one SQLite transaction
/// (``ChainState/commit(_:now:)``), in the order they were staged. Batching spares the fixed cost of
/// a transaction per block during initial block download; what a batch holds counts as not stored
/// until its commit returns (a crash before loses the batch, never a committed block).
///
/// A value owned by one caller at a time (the node's ``BlockDownload`` keeps it on the dispatcher
/// thread); ``ChainState`` only tracks which hashes are staged, so that they are neither
/// re-requested nor validated twice.
public struct BlockWriteBatch: Sendable {
    /// The staged blocks, oldest first.
    public private(set) var blocks: [StagedBlock] = []
    /// Sum of the staged blocks' blob sizes.
    public private(set) var bytes = 0

    public init() {}

    public var isEmpty: Bool { blocks.isEmpty }
    public var count: Int { blocks.count }

    mutating func append(_ block: StagedBlock) {
        blocks.append(block)
        bytes += block.message.blob.count
    }

    /// Empties the batch and returns what it held.
    public mutating func take() -> BlockWriteBatch {
        defer { self = BlockWriteBatch() }
        return self
    }
}
