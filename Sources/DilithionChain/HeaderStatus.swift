/// What we know about a header in the tree.
///
/// ```
/// headerOnly ──(block committed to the store)──▶ stored
///   │   ▲  │                                       │
///   │   │  └──(header or an ancestor proven invalid)┴──▶ failed
///   │   └──(a peer sends the header, a child or the block again)
///   └──(nobody could deliver the branch's next block)──▶ unavailable
/// ```
public enum HeaderStatus: Sendable, Equatable {
    /// Valid header; the block is not stored (yet).
    case headerOnly
    /// The block is in the store (its write transaction committed).
    case stored
    /// The header, or one of its ancestors, is invalid. Kept so that it is refused cheaply again.
    case failed
    /// A header-only branch whose next block no connected peer could deliver: left out of the best
    /// chain until a peer claims it again. Not a verdict on validity (an honest announcer may have
    /// left); VDF headers cost nothing to make, so a branch nobody serves must not hold the sync.
    case unavailable
}
