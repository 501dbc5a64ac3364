import DilithionWire

/// The outcome of ``ChainState/acceptHeaders(_:now:)``: headers are taken in order until the first
/// refused one, so a rejection can follow some accepted headers.
public struct HeadersAcceptance: Sendable, Equatable {
    /// Headers that were new to us and were added.
    public let acceptedCount: Int
    /// The best header after the batch.
    public let bestHeader: ChainTip
    /// How the best header chain moved during the batch, if it did.
    public let bestChainChange: ChainChange?
    /// How the active chain moved, if it did: only when a header arrives for a block that was
    /// already stored but could not be placed at start-up (after a salvaging reindex).
    public let activeChainChange: ChainChange?
    /// Why the batch stopped early; penalise the sender with its ``ChainRejection/misbehaviourPoints``.
    public let rejection: ChainRejection?
    /// The batch's last header when it is in the tree after the call (new or known before), with its
    /// height: the branch the sender is on.
    public let lastHeader: ChainTip?
}
