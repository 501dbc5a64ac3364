import DilithionWire

/// How the best chain moved: blocks after `forkHeight` were disconnected and others connected.
///
/// A plain extension has an empty `disconnected` list; a reorg (including a VDF lottery
/// replacement) has a non-empty one.
public struct BestChainChange: Sendable, Equatable {
    /// The last block both the old and the new best chains contain.
    public let forkHash: Hash256
    /// Height of ``forkHash``.
    public let forkHeight: Int
    /// Blocks that left the best chain, old tip first.
    public let disconnected: [Hash256]
    /// Blocks that joined the best chain, lowest first (the last is the new tip).
    public let connected: [Hash256]

    /// True when blocks were disconnected.
    public var isReorg: Bool { !disconnected.isEmpty }
}
