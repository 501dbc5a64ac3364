import DilithionChain
import DilithionHeaderHashing
import DilithionReactor
import DilithionWire

/// A header tree behind a lock as a pipeline's ``HeaderBatchSink`` (what the node does with its
/// chain state), with the clock fixed.
final class TreeSink: HeaderBatchSink, @unchecked Sendable {
    private let lock = PThreadMutex()
    private var tree: HeaderTree  // guarded by lock
    private let precheck: HeaderBatchPrecheck
    private let now: Int64

    init(configuration: ChainConfiguration, genesis: BlockHeader, genesisHash: Hash256, now: Int64) {
        tree = HeaderTree(genesis: genesis, genesisHash: genesisHash, configuration: configuration)
        precheck = HeaderBatchPrecheck(configuration: configuration)
        self.now = now
    }

    var count: Int { lock.withLock { tree.count } }
    var bestHeight: Int { lock.withLock { tree.bestHeight } }

    func precheck(_ headers: [BlockHeader], cachedHash: (Hash256) -> Hash256?) -> HeaderBatchPlan {
        lock.withLock { precheck.check(headers, against: tree, cachedHash: cachedHash, now: now) }
    }

    func insert(_ headers: [BlockHeader], hashes: [Hash256]) -> (accepted: Int, rejection: ChainRejection?) {
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
