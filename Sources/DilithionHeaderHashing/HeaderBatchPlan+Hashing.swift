import DilithionChain
import DilithionWire

extension HeaderBatchPlan {
    /// The plan's entries as a hashing batch, in order: a known hash is answered without RandomX,
    /// and every hash is verified against its entry's ``HeaderBatchPlan/HashCheck``.
    public func hashingBatch(completion: @escaping @Sendable (HeaderHashOutcome) -> Void) -> HeaderHashBatch {
        let jobs = entries.map { entry in
            HeaderHashJob(
                bytes: entry.header.serialized, cacheKey: entry.cacheKey, knownHash: entry.knownHash,
                requirement: HashRequirement(
                    target: entry.check.target, expectedHash: entry.check.expectedHash,
                    extendsPreviousJob: entry.check.extendsPreviousEntry))
        }
        return HeaderHashBatch(jobs: jobs, completion: completion)
    }

    /// Why the batch stopped, all told: the first job that failed its hash check, or else the
    /// pre-check's rejection; nil when every header passed. Costs the sender the rejection's points.
    public func rejection(after outcome: HeaderHashOutcome) -> ChainRejection? {
        guard let failure = outcome.failure else { return outcome.cancelled ? nil : rejection?.reason }
        let entry = entries[failure.index]
        switch failure.reason {
        case .highHash: return .highHash
        case .checkpointMismatch: return .checkpointMismatch(height: entry.height)
        case .notLinked: return .unknownParent(entry.header.previousBlockHash)
        }
    }
}
