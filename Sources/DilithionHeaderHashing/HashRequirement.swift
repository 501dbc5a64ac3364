import DilithionWire

/// What a header's hash must satisfy once computed, checked in batch order. The first job that
/// fails stops its batch, so a batch of garbage costs one hash.
public struct HashRequirement: Sendable, Equatable {
    /// The hash must be below this target (the proof of work of `nBits`); nil: no such check.
    public var target: Hash256?
    /// The hash must be exactly this (a checkpoint); nil: any.
    public var expectedHash: Hash256?
    /// The header was taken to extend the previous job of its batch, whose hash was not known when
    /// the batch was made: its `previousBlockHash` must equal that job's hash.
    public var extendsPreviousJob: Bool

    public init(target: Hash256? = nil, expectedHash: Hash256? = nil, extendsPreviousJob: Bool = false) {
        self.target = target
        self.expectedHash = expectedHash
        self.extendsPreviousJob = extendsPreviousJob
    }
}
