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

    /// Two workers (this machine's cores), preparation on the first batch, 1,000 hashes per second
    /// per submitter with a burst of 4,000 (two full `headers` messages; far above what light mode
    /// delivers, so it binds only in full mode), 131,072 cached hashes (about 13 MB, more than the
    /// whole mainnet header chain today).
    public init(
        workers: Int = 2, preparation: Preparation = .onFirstSubmission, budgetPerSecond: Int = 1000,
        budgetBurst: Int = 4000, replayCacheCapacity: Int = 131_072
    ) {
        self.workers = max(workers, 1)
        self.preparation = preparation
        self.budgetPerSecond = max(budgetPerSecond, 1)
        self.budgetBurst = max(budgetBurst, 1)
        self.replayCacheCapacity = max(replayCacheCapacity, 0)
    }
}
