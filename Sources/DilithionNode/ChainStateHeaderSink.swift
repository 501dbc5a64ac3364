import DilithionChain
import DilithionHeaderHashing
import DilithionWire

/// The node's ``HeaderBatchSink``: the legacy header pipeline's pre-check and insertion over the
/// node's ``ChainState``, at the wall clock's time.
///
/// Threads: ``precheck(_:cachedHash:)`` runs on the thread that hands a message to the pipeline
/// (the dispatcher) or on a hashing worker (the rest of a message after a header the tree already
/// had); ``insert(_:hashes:)`` on a hashing worker. Both only take the chain lock (a leaf; no
/// RandomX inside it).
final class ChainStateHeaderSink: HeaderBatchSink, @unchecked Sendable {
    let chain: ChainState
    let checks: HeaderBatchPrecheck
    let wallTime: @Sendable () -> Int64
    /// Called (on the inserting thread) when headers moved the active chain: only when they belong to
    /// blocks stored before their headers (after a salvaging reindex).
    let activeChainMoved: @Sendable (ChainChange) -> Void

    init(chain: ChainState, wallTime: @escaping @Sendable () -> Int64, activeChainMoved: @escaping @Sendable (ChainChange) -> Void) {
        self.chain = chain
        self.checks = HeaderBatchPrecheck(configuration: chain.configuration)
        self.wallTime = wallTime
        self.activeChainMoved = activeChainMoved
    }

    func precheck(_ headers: [BlockHeader], cachedHash: (Hash256) -> Hash256?) -> HeaderBatchPlan {
        chain.precheckHeaders(headers, with: checks, cachedHash: cachedHash, now: wallTime())
    }

    func insert(_ headers: [BlockHeader], hashes: [Hash256]) -> (accepted: Int, rejection: ChainRejection?) {
        let result = chain.acceptHeaders(headers, hashes: hashes, now: wallTime())
        if let change = result.activeChainChange { activeChainMoved(change) }
        return (result.acceptedCount, result.rejection)
    }
}
