/// What `--reindex` did: blocks carried over after re-validation, blocks dropped, how many were
/// found only by scanning the pages of a damaged file, and what is lost.
public struct ReindexReport: Sendable, Equatable, CustomStringConvertible {
    /// Blocks that re-validated and were written to the new store (genesis, which comes from the
    /// network parameters, not counted).
    public let keptBlocks: Int
    /// Blocks read but dropped (undecodable or invalid).
    public let droppedBlocks: Int
    /// Why SQLite could not read the old file to the end (nil when it could).
    public let readError: String?
    /// Of the kept blocks, those only the page scan found (after SQLite stopped at damage).
    public let foundByPageScan: Int
    /// The highest height (as stored in the old file) of a kept block.
    public let highestKeptHeight: Int
    /// Heights from 1 to ``highestKeptHeight`` with no block kept: lost, fetched again by sync.
    /// Blocks above the highest kept one cannot be counted: sync fetches them as well.
    public let missingHeights: Int
    /// Rows whose height or payload read as NULL (a damaged record: SQLite, or the page scan, found
    /// the row but not its values): skipped, and the blocks fetched again by sync.
    public let unreadableRows: Int

    /// A report.
    public init(
        keptBlocks: Int, droppedBlocks: Int, readError: String?, foundByPageScan: Int = 0, highestKeptHeight: Int = 0,
        missingHeights: Int = 0, unreadableRows: Int = 0
    ) {
        self.keptBlocks = keptBlocks
        self.droppedBlocks = droppedBlocks
        self.readError = readError
        self.foundByPageScan = foundByPageScan
        self.highestKeptHeight = highestKeptHeight
        self.missingHeights = missingHeights
        self.unreadableRows = unreadableRows
    }

    /// One line for the log.
    public var description: String {
        "kept \(keptBlocks) blocks (\(foundByPageScan) by page scan), dropped \(droppedBlocks) invalid, "
            + "\(missingHeights) missing below height \(highestKeptHeight)"
            + (unreadableRows > 0 ? ", \(unreadableRows) unreadable rows skipped" : "")
            + (readError.map { "; SQLite stopped: \($0)" } ?? "")
    }
}
