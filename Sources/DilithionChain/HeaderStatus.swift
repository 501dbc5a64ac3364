/// What we know about a header in the tree.
///
/// ```
/// headerOnly ──(block committed to the store)──▶ stored
///      │                                           │
///      └──────(header or an ancestor proven invalid)┴──▶ failed
/// ```
public enum HeaderStatus: Sendable, Equatable {
    /// Valid header; the block is not stored (yet).
    case headerOnly
    /// The block is in the store (its write transaction committed).
    case stored
    /// The header, or one of its ancestors, is invalid. Kept so that it is refused cheaply again.
    case failed
}
