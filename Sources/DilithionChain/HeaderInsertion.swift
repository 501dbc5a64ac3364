import DilithionWire

/// The outcome of ``HeaderTree/insert(_:hash:now:)`` for a header that was not refused.
public struct HeaderInsertion: Sendable, Equatable {
    /// False when the header was already in the tree (nothing changed).
    public let isNew: Bool
    /// The header's height.
    public let height: Int
    /// How the best header chain moved because of this header, if it did.
    public let bestChainChange: ChainChange?
}
