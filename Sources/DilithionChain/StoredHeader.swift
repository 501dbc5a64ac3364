import DilithionWire

/// A stored block's index data, as read back at start-up to rebuild the header tree.
public struct StoredHeader: Sendable, Equatable {
    public let hash: Hash256
    public let height: Int
    public let header: BlockHeader
}
