import DilithionChain
import DilithionWire

/// The tree side of a ``HeaderBatchPipeline``: what the node implements over its chain state.
///
/// Lock order: the pipeline calls these with no lock of the hashing service held; ``precheck(_:cachedHash:)``
/// may hold the chain's lock while it calls `cachedHash`, which takes the service's lock (chain,
/// then service; the service never calls out under its lock).
public protocol HeaderBatchSink: Sendable {
    /// ``HeaderBatchPrecheck/check(_:against:cachedHash:now:)`` of `headers` against a consistent view
    /// of the tree (under the chain's lock: a tree that changes between two reads could make an
    /// honest header look wrong).
    func precheck(_ headers: [BlockHeader], cachedHash: (Hash256) -> Hash256?) -> HeaderBatchPlan
    /// Inserts `headers` with their verified `hashes`, in order, stopping at the first refusal.
    /// - Returns: how many were new, and the refusal.
    func insert(_ headers: [BlockHeader], hashes: [Hash256]) -> (accepted: Int, rejection: ChainRejection?)
}
