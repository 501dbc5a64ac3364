import DilithionWire

/// A block of a committed ``BlockWriteBatch`` (``ChainState/commit(_:now:)``): stored from now on.
public struct CommittedBlock: Sendable, Equatable {
    public let hash: Hash256
    public let height: Int
    /// How the active chain moved when it was marked stored (nil when it waits for its ancestors'
    /// blocks or its branch has less work).
    public let activeChainChange: ChainChange?
}
