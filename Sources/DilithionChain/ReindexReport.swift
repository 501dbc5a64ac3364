/// What `--reindex` did: blocks carried over after re-validation, blocks dropped, and why reading
/// stopped early if it did (a damaged file).
public struct ReindexReport: Sendable, Equatable {
    /// Blocks that re-validated and were written to the new store.
    public let keptBlocks: Int
    /// Blocks read but dropped (undecodable or invalid).
    public let droppedBlocks: Int
    /// Why the old file could not be read to the end (nil when it was).
    public let readError: String?
}
