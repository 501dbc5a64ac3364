import DilithionWire

extension ChainState {
    /// Appends `count` blocks on the tip, made by `makeBlock(parent, height, time)` with each time
    /// `interval` seconds after its parent's, each accepted with its own time as `now` (the
    /// generators' common loop).
    ///
    /// - Returns: the new blocks' hashes, lowest first.
    func appendGenerated(
        count: Int, interval: UInt32, makeBlock: (Hash256, Int, UInt32) -> BlockMessage
    ) throws(RegtestGeneratorError) -> [Hash256] {
        var parent = tip
        guard var time = record(for: parent.hash)?.header.time else { return [] }
        var hashes = [Hash256]()
        hashes.reserveCapacity(max(count, 0))
        for _ in 0..<max(count, 0) {
            let height = parent.height + 1
            time += interval
            let outcome: BlockAcceptance
            do {
                outcome = try acceptBlock(makeBlock(parent.hash, height, time), now: Int64(time))
            } catch {
                throw .store(error)
            }
            guard case .stored(let hash, _, _) = outcome else { throw .refused(height: height, outcome: outcome) }
            hashes.append(hash)
            parent = ChainTip(hash: hash, height: height)
        }
        return hashes
    }
}
