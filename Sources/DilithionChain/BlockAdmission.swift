import DilithionWire

/// What ``ChainState/admitBlock(_:hash:requested:)`` decides about a received block before its body
/// is validated (the cheap checks, under the chain lock).
public enum BlockAdmission: Sendable, Equatable {
    /// Worth validating; `headerKnown` says whether its header was in the tree (a body failure that
    /// proves the header invalid then marks it failed).
    case validate(headerKnown: Bool)
    /// Already stored, or staged for the next commit: nothing to do.
    case alreadyHave(hash: Hash256)
    /// Refused before validation (a known-invalid header, a low-work unrequested block).
    case rejected(ChainRejection)
    /// Its parent is unknown, so it cannot be placed: ask the sender for headers (not stored).
    case unrequestedOrphan(hash: Hash256)
}
