import DilithionWire

/// What became of a batch: delivered exactly once per submitted batch.
public struct HeaderHashOutcome: Sendable, Equatable {
    /// The hashes of the batch's leading jobs that met their requirements, in order.
    public var hashes: [Hash256]
    /// The first job that failed (the batch stopped there), or nil.
    public var failure: HashFailure?
    /// The submitter was cancelled (or the service stopped) before the batch finished; ``hashes``
    /// then holds what was verified until then.
    public var cancelled: Bool

    public init(hashes: [Hash256], failure: HashFailure? = nil, cancelled: Bool = false) {
        self.hashes = hashes
        self.failure = failure
        self.cancelled = cancelled
    }
}
