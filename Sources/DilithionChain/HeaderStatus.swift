/// What we know about a header's block.
///
/// ```
/// headerOnly ──(block committed to the store)──▶ stored
///   │                                              
///   └──(header or an ancestor proven invalid)──▶ failed
/// ```
///
/// Whether a stored block may be on the active chain is a separate fact,
/// ``HeaderRecord/isLinked`` (its ancestors' blocks are all stored too).
public enum HeaderStatus: Sendable, Equatable {
    /// Valid header; the block is not stored (yet).
    case headerOnly
    /// The block is in the store (its write transaction committed).
    case stored
    /// The header, or one of its ancestors, is invalid. Kept so that it is refused cheaply again
    /// (until its branch is pruned).
    case failed
}
