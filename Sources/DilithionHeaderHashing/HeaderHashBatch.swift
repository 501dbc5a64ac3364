/// Headers to hash in order for one submitter, and where their outcome goes.
public struct HeaderHashBatch: Sendable {
    public let jobs: [HeaderHashJob]
    /// Called once, on a hashing worker (or on the thread that cancels or stops the service), with
    /// no lock of the service held.
    public let completion: @Sendable (HeaderHashOutcome) -> Void

    public init(jobs: [HeaderHashJob], completion: @escaping @Sendable (HeaderHashOutcome) -> Void) {
        self.jobs = jobs
        self.completion = completion
    }
}
