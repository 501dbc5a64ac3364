/// When the block pipeline commits its ``DilithionChain/BlockWriteBatch`` (``BlockDownload``).
///
/// During initial block download validated blocks are stored several per SQLite transaction: a
/// commit has a fixed cost (the WAL frames of the index pages, the WAL header and index updates,
/// the write calls) that dominates a small block's own cost. The batch is committed as soon as any
/// bound is reached, so what a crash can lose (blocks received and validated, never acknowledged:
/// the active tip and RPC move only at the commit) stays small and is downloaded again:
///
/// - ``maxBlocks``: at most 1,000 blocks (at 20,000 small blocks a second, 50 ms of work);
/// - ``maxBytes``: at most 8 MiB of blobs (memory held beside the 8 MiB per peer in flight; eight
///   1 MiB blocks, whose commit cost is the copy itself, so larger batches buy nothing);
/// - ``maxDelay``: the oldest staged block waits at most 100 ms (checked as blocks arrive and at the
///   maintenance tick), so the tip a user sees lags the download by about that much at most.
///
/// Outside initial block download, when nothing more is on its way (no block in flight and none
/// waiting for validation), or while stopping, every batch is committed at once.
struct BlockCommitPolicy: Sendable, Equatable {
    var maxBlocks = 1_000
    var maxBytes = 8 << 20
    var maxDelay: Duration = .milliseconds(100)

    /// Whether a batch of `count` blocks and `bytes` bytes whose first block was staged `age` ago
    /// is due during initial block download.
    func isDue(count: Int, bytes: Int, age: Duration) -> Bool {
        count >= maxBlocks || bytes >= maxBytes || age >= maxDelay
    }
}
