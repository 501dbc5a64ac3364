/// Limits and policies of a ``HeaderHashingService``.
public struct HashingConfiguration: Sendable, Equatable {
    /// When the backend prepares (RandomX: the cache, and in full mode the dataset).
    public enum Preparation: Sendable, Equatable {
        /// As soon as the service starts.
        case atStart
        /// When the first batch arrives (a node that never sees a legacy header never pays).
        case onFirstSubmission
    }

    /// Worker threads, each with its own hasher (one RandomX VM). Default: one per core.
    public var workers: Int
    public var preparation: Preparation
    /// Each submitter may spend this many RandomX hashes per second…
    public var budgetPerSecond: Int
    /// …and this many at once on a fresh budget.
    public var budgetBurst: Int
    /// Entries of the replay cache (about 100 bytes each).
    public var replayCacheCapacity: Int
    /// How much the workers lower their own scheduling priority (nice value, per thread): on a
    /// busy machine the reactor and dispatcher, which answer every peer, win each contended core,
    /// and hashing takes what they leave. 0 keeps the workers at the node's priority.
    public var workerNiceness: Int32

    /// Two workers (this machine's cores), preparation on the first batch, 1,000 hashes per second
    /// per submitter with a burst of 4,000 (two full `headers` messages; far above what light mode
    /// delivers, so it binds only in full mode), 131,072 cached hashes (about 13 MB, more than the
    /// whole mainnet header chain today), workers at nice +10.
    public init(
        workers: Int = 2, preparation: Preparation = .onFirstSubmission, budgetPerSecond: Int = 1000,
        budgetBurst: Int = 4000, replayCacheCapacity: Int = 131_072, workerNiceness: Int32 = 10
    ) {
        self.workers = max(workers, 1)
        self.preparation = preparation
        self.budgetPerSecond = max(budgetPerSecond, 1)
        self.budgetBurst = max(budgetBurst, 1)
        self.replayCacheCapacity = max(replayCacheCapacity, 0)
        self.workerNiceness = max(workerNiceness, 0)
    }
}
