import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionSystem
import DilithionWire

/// Legacy (RandomX) headers for ``HeadersSync``: `headers` messages go through the
/// ``HeaderBatchPipeline`` (issue 14).
///
/// The dispatcher runs the cheap pre-check (``HeaderBatchPrecheck``, under the chain lock) and hands
/// what needs RandomX to the ``HeaderHashingService``'s workers; the workers insert verified headers
/// into the chain state (``ChainStateHeaderSink``) and the outcome of each message is queued for
/// its peer and posted back to the dispatcher (``SyncNetwork/wakeDispatcher(for:)``), which takes
/// it (``takeOutcomes(for:)``) and applies it (``HeadersSync/legacyHeadersReady(for:)``): penalties,
/// the sender's branch, the next `getheaders`. A peer's messages are processed and applied in the
/// order they arrived; a peer that leaves has its pending messages cancelled. RandomX never runs on
/// the reactor or the dispatcher.
///
/// Threads: the dispatcher submits, takes and cancels; the hashing workers queue outcomes; RPC
/// threads read statistics. ``lock`` guards the queued outcomes; it is held while taking the
/// ``SyncPeers`` table's lock (a leaf) and never while calling anything else.
final class LegacyHeaderIntake: @unchecked Sendable {
    let pipeline: HeaderBatchPipeline
    let chain: ChainState
    let network: any SyncNetwork
    /// Who is still connected (outcomes of departed peers are dropped).
    let peers: SyncPeers

    private let lock = PThreadMutex()
    // guarded by lock
    /// Outcomes of `headers` messages waiting for the dispatcher, per peer, oldest first.
    private var outcomes: [PeerID: [ProcessedHeaders]] = [:]

    /// - Parameter activeChainMoved: called on a hashing worker when inserted headers moved the
    ///   active chain (blocks stored before their headers, after a salvaging reindex).
    init(
        service: HeaderHashingService, chain: ChainState, network: any SyncNetwork, peers: SyncPeers,
        wallTime: @escaping @Sendable () -> Int64, activeChainMoved: @escaping @Sendable (ChainChange) -> Void
    ) {
        self.chain = chain
        self.network = network
        self.peers = peers
        pipeline = HeaderBatchPipeline(
            service: service, sink: ChainStateHeaderSink(chain: chain, wallTime: wallTime, activeChainMoved: activeChainMoved))
    }

    /// The hashing submitter that stands for `peer` (ordering, fairness, budget, cancellation).
    static func submitter(for peer: PeerID) -> HashSubmitter { HashSubmitter(peer.rawValue) }

    /// Hands `headers` (already within the sender's headers budget) to the pipeline; the outcome is
    /// applied on the dispatcher later.
    func submit(_ headers: [BlockHeader], truncated: Bool, from peer: PeerID) {
        let count = headers.count
        pipeline.process(headers, from: Self.submitter(for: peer)) { [weak self] result in
            self?.finished(result, count: count, truncated: truncated, from: peer)
        }
    }

    /// A message's outcome, on whichever thread finished it (a hashing worker, or the dispatcher
    /// when no hash was needed): queued for the peer, and the dispatcher woken. Dropped when the peer
    /// has left (its cancelled messages end here too).
    private func finished(_ result: HeaderBatchResult, count: Int, truncated: Bool, from peer: PeerID) {
        if result.overloaded {
            // Sent faster than we answer: not looked at, no points (it may send it again later).
            network.countIgnored("headers-overloaded")
            return
        }
        guard !result.cancelled else { return }
        let last = result.lastHash.flatMap { chain.record(for: $0) }.map { ChainTip(hash: $0.hash, height: $0.height) }
        let processed = ProcessedHeaders(
            count: count, truncated: truncated, acceptedCount: result.acceptedCount, rejection: result.rejection,
            lastHeader: last, mayHaveMovedActiveTip: result.acceptedCount > 0)
        // Checked and queued under ``lock``: a departing peer leaves the table before ``cancel(_:)``
        // drops its queue, so an outcome of a departed peer is never left behind.
        let queued: Bool = lock.withLock {
            guard peers.contains(peer) else { return false }
            outcomes[peer, default: []].append(processed)
            return true
        }
        if queued { network.wakeDispatcher(for: peer) }
    }

    /// Dispatcher thread: the outcomes queued for `peer`, oldest first (removed from the queue).
    func takeOutcomes(for peer: PeerID) -> [ProcessedHeaders] {
        lock.withLock { outcomes.removeValue(forKey: peer) ?? [] }
    }

    /// The peer left (already out of the ``SyncPeers`` table): its messages in the pipeline end as
    /// cancelled (a hash in progress finishes, nothing more is hashed for it) and its queued
    /// outcomes are dropped.
    func cancel(_ peer: PeerID) {
        pipeline.cancel(Self.submitter(for: peer))
        lock.withLock { outcomes[peer] = nil }
    }

    /// Stops the hashing workers (shutdown).
    func stop() { pipeline.service.stop() }

    /// The hashing counters of `peer` (what its messages cost us), nil before its first message.
    func statistics(of peer: PeerID) -> HashingStatistics? { pipeline.service.statistics(for: Self.submitter(for: peer)) }

    /// The hashing counters of every peer together (``HeaderHashingService/statistics()``).
    var totals: HashingStatistics { pipeline.service.statistics() }

    /// The hash of a legacy header from the replay cache, nil when it did not come through here.
    func cachedHash(of header: BlockHeader) -> Hash256? { pipeline.service.cachedHash(forKey: SHA3.hash(header.serialized)) }
}
