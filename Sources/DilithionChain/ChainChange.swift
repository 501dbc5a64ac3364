import DilithionWire

/// How a chain moved: blocks after `forkHeight` were disconnected and others connected.
///
/// The tree keeps two chains (``HeaderTree``): the best header chain and the active chain of stored
/// blocks; each reports its moves with this type. A plain extension has an empty `disconnected`
/// list; a reorg (including a VDF lottery replacement) has a non-empty one.
public struct ChainChange: Sendable, Equatable {
    /// The last block both the old and the new chains contain.
    public let forkHash: Hash256
    /// Height of ``forkHash``.
    public let forkHeight: Int
    /// Blocks that left the chain, old tip first.
    public let disconnected: [Hash256]
    /// Blocks that joined the chain, lowest first (the last is the new tip).
    public let connected: [Hash256]

    /// True when blocks were disconnected.
    public var isReorg: Bool { !disconnected.isEmpty }

    /// The tip before the move: the first disconnected block, or the fork point for an extension.
    public var oldTip: ChainTip { ChainTip(hash: disconnected.first ?? forkHash, height: forkHeight + disconnected.count) }

    /// The tip after the move.
    public var newTip: ChainTip { ChainTip(hash: connected.last ?? forkHash, height: forkHeight + connected.count) }
}
