import DilithionChain
import DilithionSystem
import DilithionWire

/// A header tree of its own behind a lock as a pipeline's ``HeaderBatchSink``, on a fixed clock: for
/// tools, benchmarks and tests that run the legacy header path without a block store (the node's
/// sink is its chain state).
public final class HeaderTreeSink: HeaderBatchSink, @unchecked Sendable {
    private let lock = PThreadMutex()
    private var tree: HeaderTree  // guarded by lock
    private let precheck: HeaderBatchPrecheck
    private let now: Int64

    /// A tree holding only `genesis`, checking headers at `now` (seconds since the Unix epoch).
    public init(configuration: ChainConfiguration, genesis: BlockHeader, genesisHash: Hash256, now: Int64) {
        tree = HeaderTree(genesis: genesis, genesisHash: genesisHash, configuration: configuration)
        precheck = HeaderBatchPrecheck(configuration: configuration)
        self.now = now
    }

    /// Headers in the tree (all branches).
    public var count: Int { lock.withLock { tree.count } }
    /// Height of the best header.
    public var bestHeight: Int { lock.withLock { tree.bestHeight } }

    public func precheck(_ headers: [BlockHeader], cachedHash: (Hash256) -> Hash256?) -> HeaderBatchPlan {
        lock.withLock { precheck.check(headers, against: tree, cachedHash: cachedHash, now: now) }
    }

    public func insert(_ headers: [BlockHeader], hashes: [Hash256]) -> (accepted: Int, rejection: ChainRejection?) {
        lock.withLock {
            var accepted = 0
            for (header, hash) in zip(headers, hashes) {
                do throws(ChainRejection) {
                    if try tree.insert(header, hash: hash, now: now).isNew { accepted += 1 }
                } catch {
                    return (accepted, error)
                }
            }
            return (accepted, nil)
        }
    }
}
