import DilithionWire

extension HeaderTree {
    /// The checks of a new header against its branch, in the order their refusals are reported:
    /// layout for the height (``HeaderVersionRule``), proof of work (legacy: `hash < target`, at
    /// every height, since the hash is known; VDF: a usable target), `nBits` (``DifficultyRule``;
    /// legacy headers at or below the highest checkpoint exempt), the clock limit, the median time
    /// past and the minimum spacing (``TimestampRule``), the checkpoint at its height, and no fork
    /// below the last checkpoint the best chain passed (``Checkpoints``).
    ///
    /// Non-mutating, so that nothing here holds a second reference to the tree's storage while
    /// ``insert(_:hash:now:)`` appends to it.
    func checkContext(
        _ header: BlockHeader, hash: Hash256, height: Int, parentIndex: Int, now: Int64
    ) throws(ChainRejection) {
        let parent = records[parentIndex]
        let vouched = height <= checkpoints.highestHeight ?? -1
        if let violation = versions.violation(header, height: height, vouchedByCheckpoint: vouched) { throw violation }
        try HeaderValidation.checkProofOfWork(header, hash: hash)
        if let violation = difficulty.violation(
            header, height: height, parent: parent.hash, ancestry: self, vouchedByCheckpoint: vouched)
        {
            throw violation
        }
        let medianTimePast = height >= timestamps.medianTimePastHeight ? graph.medianTimePast(endingAt: parentIndex) : 0
        try HeaderValidation.checkTimestamp(
            header, medianTimePast: medianTimePast, now: now, maxFutureSeconds: maxFutureBlockTimeSeconds)
        try timestamps.checkSpacing(header, height: height, parentTime: parent.header.time)
        try checkpoints.check(height: height, hash: hash)
        if let passed = checkpoints.lastPassed(bestHeight: bestHeight), records[graph.bestForkPoint(of: parentIndex)].height < passed {
            throw .forkBelowCheckpoint(height: height)
        }
    }
}
