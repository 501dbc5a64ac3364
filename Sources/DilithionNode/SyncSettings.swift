import DilithionChain

/// The timings and limits of the ``SyncCoordinator``.
struct SyncSettings: Sendable {
    /// Block download limits (window, pipeline depths, stall timeout).
    var download = BlockDownloadConfiguration()
    /// When received blocks are committed during initial block download (several per transaction).
    var commits = BlockCommitPolicy()
    /// Blocks whose blob has at least this many bytes are validated on the block-validation worker
    /// thread (64 KiB: there the hashing pass costs far more than the hand-off); `Int.max`: every
    /// block on the dispatcher, and no worker thread.
    var workerMinimumBytes = 64 << 10
    /// How often the node-wide maintenance (stalls, the headers-sync peer, pruning) runs at most;
    /// it rides on the per-peer ticks.
    var maintenanceInterval: Duration = .seconds(1)
    /// A headers-sync peer that has not answered `getheaders` for this long is replaced (C++: 120 s).
    var silentHeadersPeerTimeout: Duration = .seconds(120)
    /// How often side branches are pruned at most (a pass scans the header tree once).
    var pruneInterval: Duration = .seconds(10)
    /// Misbehaviour points for announcing a branch whose blocks nobody delivered
    /// (``WithheldBranchStrikes``).
    var withheldBranchPoints = 50
    /// Withheld-branch strikes of one address within ``withheldStrikeWindowSeconds`` that ban it.
    var withheldStrikesToBan = 2
    /// How long a withheld-branch strike counts (seconds of wall time).
    var withheldStrikeWindowSeconds: Int64 = 60 * 60
    /// Headers one address may make us process at once out of initial block download
    /// (``HeadersBudget``): two full batches.
    var headersBurst = 4_000
    /// The rate its budget refills at (headers per second): far above what new blocks need.
    var headersPerSecond = 100.0
    /// `headers` messages in a row whose first header does not connect that a peer may send before
    /// it is penalised (Bitcoin Core: 10). Each is answered with `getheaders`; one that connects
    /// resets the count.
    var unconnectingHeadersLimit = 10
}
