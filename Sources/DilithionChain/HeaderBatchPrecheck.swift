import DilithionWire

/// Cheap checks first, RandomX last: everything the tree will check of a batch of headers that does
/// not need a header's own RandomX hash, done before any is hashed, stopping at the first failure.
///
/// Per header, in order: already known (its SHA3-256 in the replay cache names a hash the tree
/// has: nothing more to do); parent known (in the tree or earlier in the batch; a parent not known
/// yet may be the previous header of the batch, which its hash will tell); parent not failed;
/// layout for the height; a usable target; `nBits` exactly as the network's rule for the height;
/// the clock limit, the median time past and the minimum spacing; no fork below the last passed
/// checkpoint. What needs the hash (legacy proof of work, the checkpoint hash, the link to a
/// previous header whose hash was unknown, whether a header forking below the last passed
/// checkpoint is one the tree already has) is returned as a ``HeaderBatchPlan/HashCheck`` to verify
/// in order as hashes come (``HeaderBatchPlan``). So a message of garbage costs at most one RandomX
/// hash: its first header's, when that header passes every cheap check.
///
/// Pure: the tree is read through ``HeaderIndex`` and the replay cache through a closure; nothing
/// is kept. The tree re-checks every header when it is inserted, so a pre-check made against a tree
/// that changed since is safe.
public struct HeaderBatchPrecheck: Sendable {
    private let difficulty: DifficultyRule
    private let versions: HeaderVersionRule
    private let timestamps: TimestampRule
    private let checkpoints: Checkpoints
    private let maxFutureSeconds: Int64

    public init(configuration: ChainConfiguration) {
        difficulty = configuration.difficulty
        versions = configuration.versions
        timestamps = configuration.timestamps
        checkpoints = configuration.checkpoints
        maxFutureSeconds = configuration.maxFutureBlockTimeSeconds
    }

    /// Checks `headers` (a `headers` message, in order) against `index`.
    ///
    /// - Parameters:
    ///   - cachedHash: the replay cache: the hash of the header whose SHA3-256 is the argument, if
    ///     it was hashed and verified before.
    ///   - now: seconds since the Unix epoch (the clock limit).
    public func check(
        _ headers: [BlockHeader], against index: some HeaderIndex, cachedHash: (Hash256) -> Hash256?, now: Int64
    ) -> HeaderBatchPlan {
        var plan = HeaderBatchPlan(entries: [], rejection: nil)
        var overlay = BatchOverlay(base: index)
        let lastPassedCheckpoint = checkpoints.lastPassed(bestHeight: index.bestHeight)
        let highestCheckpoint = checkpoints.highestHeight ?? -1
        /// The name of the previous header of the batch in the overlay, and whether its hash is known.
        var previous: (name: Hash256, hashKnown: Bool)?
        for (position, header) in headers.enumerated() {
            let bytes = header.serialized
            let cacheKey = SHA3.hash(bytes)
            let knownHash = header.isVDF ? cacheKey : cachedHash(cacheKey)
            func reject(_ reason: ChainRejection) -> HeaderBatchPlan {
                plan.rejection = (position, reason)
                return plan
            }

            if let knownHash, let record = index.record(for: knownHash) {
                guard record.status != .failed else { return reject(.knownInvalid(knownHash)) }
                plan.entries.append(
                    .init(header: header, height: record.height, cacheKey: cacheKey, knownHash: knownHash, alreadyKnown: true,
                          check: .init()))
                previous = (knownHash, true)
                continue
            }

            // The parent: in the tree, earlier in the batch, or (hash unknown) the previous header.
            let parentName: Hash256
            let parentHeight: Int
            let forkHeight: Int
            var extendsPrevious = false
            if let record = index.record(for: header.previousBlockHash) {
                guard record.status != .failed else { return reject(.invalidParent(record.hash)) }
                parentName = record.hash
                parentHeight = record.height
                forkHeight = index.bestChainForkHeight(of: record.hash) ?? record.height
            } else if let node = overlay.nodes[header.previousBlockHash] {
                parentName = header.previousBlockHash
                parentHeight = node.height
                forkHeight = node.forkHeight
            } else if let previous, !previous.hashKnown, let node = overlay.nodes[previous.name] {
                parentName = previous.name
                parentHeight = node.height
                forkHeight = node.forkHeight
                extendsPrevious = true
            } else {
                return reject(.unknownParent(header.previousBlockHash))
            }
            let height = parentHeight + 1
            let vouched = height <= highestCheckpoint

            if let violation = versions.violation(header, height: height, vouchedByCheckpoint: vouched) {
                return reject(violation)
            }
            guard let target = CompactTarget(bits: header.bits).target else { return reject(.invalidTarget(bits: header.bits)) }
            if let violation = difficulty.violation(
                header, height: height, parent: parentName, ancestry: overlay, vouchedByCheckpoint: vouched)
            {
                return reject(violation)
            }
            let limit = now + maxFutureSeconds
            if Int64(header.time) > limit { return reject(.timeTooNew(time: header.time, limit: limit)) }
            if height >= timestamps.medianTimePastHeight {
                let median = overlay.medianTimePast(ofBranch: parentName, height: parentHeight)
                if header.time <= median { return reject(.timeTooOld(time: header.time, medianTimePast: median)) }
            }
            if let parentTime = overlay.header(atHeight: parentHeight, onBranchOf: parentName)?.time {
                do throws(ChainRejection) {
                    try timestamps.checkSpacing(header, height: height, parentTime: parentTime)
                } catch {
                    return reject(error)
                }
            }
            // Forking below the last passed checkpoint is refused, except for a header the tree has
            // (which only its hash can tell when the replay cache forgot it): hash this one, then stop.
            let forksBelowCheckpoint = lastPassedCheckpoint.map { forkHeight < $0 } ?? false

            // What only the hash can tell; checked now when the hash is known.
            let check = HeaderBatchPlan.HashCheck(
                target: header.isVDF ? nil : target, expectedHash: checkpoints.hashes[height],
                extendsPreviousEntry: extendsPrevious, mustAlreadyBeKnown: forksBelowCheckpoint)
            if let knownHash {
                if let target = check.target, !(knownHash < target) { return reject(.highHash) }
                if let expected = check.expectedHash, expected != knownHash { return reject(.checkpointMismatch(height: height)) }
                if forksBelowCheckpoint { return reject(.forkBelowCheckpoint(height: height)) }  // not in the tree
            }
            let name = knownHash ?? cacheKey
            overlay.add(
                .init(header: header, height: height, parent: parentName, forkHeight: min(forkHeight, parentHeight)),
                named: name)
            plan.entries.append(
                .init(header: header, height: height, cacheKey: cacheKey, knownHash: knownHash, alreadyKnown: false,
                      check: check))
            previous = (name, knownHash != nil)
            if forksBelowCheckpoint { break }
        }
        return plan
    }
}
