/// Counters of one submitter, or of all submitters together (``HeaderHashingService/statistics()``).
public struct HashingStatistics: Sendable, Equatable {
    /// RandomX hashes computed (what the budget counts).
    public var hashesComputed = 0
    /// Hashes computed whose batch had already stopped (failed or cancelled) when they finished:
    /// the price of hashing a batch on several workers at once.
    public var hashesDiscarded = 0
    /// Jobs answered by the replay cache or a hash known in advance, without RandomX.
    public var hashesAvoided = 0
    /// Times a job waited because its submitter's budget was spent.
    public var budgetWaits = 0
    public var batchesSubmitted = 0
    /// Batches whose every job met its requirement.
    public var batchesCompleted = 0
    /// Batches stopped by a job that failed its requirement.
    public var batchesFailed = 0
    /// Batches ended by ``HeaderHashingService/cancel(_:)`` or by the service stopping.
    public var batchesCancelled = 0
    /// Jobs queued and not yet hashed (a gauge).
    public var jobsQueued = 0

    public init() {}

    mutating func add(_ other: HashingStatistics) {
        hashesComputed += other.hashesComputed
        hashesDiscarded += other.hashesDiscarded
        hashesAvoided += other.hashesAvoided
        budgetWaits += other.budgetWaits
        batchesSubmitted += other.batchesSubmitted
        batchesCompleted += other.batchesCompleted
        batchesFailed += other.batchesFailed
        batchesCancelled += other.batchesCancelled
        jobsQueued += other.jobsQueued
    }
}
