/// Why the job at ``index`` of a batch failed (and the batch stopped there).
public struct HashFailure: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The hash is not below ``HashRequirement/target``.
        case highHash
        /// The hash differs from ``HashRequirement/expectedHash``.
        case checkpointMismatch
        /// ``HashRequirement/extendsPreviousJob`` was set and the header does not name the previous
        /// job's hash as its parent.
        case notLinked
    }

    public let index: Int
    public let reason: Reason

    public init(index: Int, reason: Reason) {
        self.index = index
        self.reason = reason
    }
}
