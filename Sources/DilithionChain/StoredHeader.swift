import DilithionWire

/// A stored block's index data, as read back at start-up to rebuild the header tree.
public struct StoredHeader: Sendable, Equatable {
    /// The block hash as stored.
    public let hash: Hash256
    /// The height recorded when the block was stored.
    public let height: Int
    /// The decoded header.
    public let header: BlockHeader
}
