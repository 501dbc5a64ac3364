import DilithionWire

/// Known-good block hashes at fixed heights, per network (`Checkpoints+Networks.swift`), enforced as
/// the C++ node does (`CheckpointCheck`, `GetLastCheckpoint` in `src/core/chainparams.h`):
///
/// - a header at a checkpoint height must have the checkpoint's hash (``check(height:hash:)``);
/// - no fork below the last checkpoint the best chain has passed: once the best chain holds the
///   checkpointed header at height C, a branch leaving it below C can never carry that header and
///   is refused (``lastPassed(bestHeight:)``); below a checkpoint not yet reached, branches compete;
/// - legacy proof of work is checked at every height (the hash is computed anyway, to link the
///   headers), but legacy `nBits` only above the highest checkpoint (``DifficultyRule``).
public struct Checkpoints: Sendable, Equatable {
    /// Height → expected block hash.
    public let hashes: [Int: Hash256]
    /// The checkpointed heights, ascending.
    private let heights: [Int]

    /// Checkpoints from a height → hash table.
    public init(_ hashes: [Int: Hash256]) {
        self.hashes = hashes
        heights = hashes.keys.sorted()
    }

    /// No checkpoints.
    public static let none = Checkpoints([:])

    /// The highest checkpointed height, or nil when there are none.
    public var highestHeight: Int? { heights.last }

    /// The highest checkpointed height at or below `bestHeight`: the checkpoint a best chain of
    /// that height has passed (its header there was checked against the hash), or nil.
    public func lastPassed(bestHeight: Int) -> Int? {
        var low = 0
        var high = heights.count
        while low < high {
            let middle = (low + high) / 2
            if heights[middle] <= bestHeight { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? heights[low - 1] : nil
    }

    /// Throws ``ChainRejection/checkpointMismatch(height:)`` when `height` is checkpointed with
    /// another hash.
    public func check(height: Int, hash: Hash256) throws(ChainRejection) {
        if let expected = hashes[height], expected != hash { throw .checkpointMismatch(height: height) }
    }
}
