import DilithionWire

/// The outcome of ``ChainState/acceptBlock(_:now:expectedHash:requested:)``.
public enum BlockAcceptance: Sendable, Equatable {
    /// Validated and committed to the store; `activeChainChange` says how the active chain moved
    /// (nil when the block waits for its ancestors' blocks or its branch has less work).
    case stored(hash: Hash256, height: Int, activeChainChange: ChainChange?)
    /// Already stored; nothing written.
    case alreadyHave(hash: Hash256)
    /// Refused; penalise the sender with the rejection's ``ChainRejection/misbehaviourPoints``.
    case rejected(ChainRejection)
    /// Its parent is unknown, so it cannot be placed: ask the sender for headers (not stored).
    case unrequestedOrphan(hash: Hash256)
}
