import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionWire

/// Legacy (RandomX) headers: `headers` messages go through the ``HeaderBatchPipeline`` (issue 14).
///
/// The dispatcher runs the cheap pre-check (``HeaderBatchPrecheck``, under the chain lock) and hands
/// what needs RandomX to the ``HeaderHashingService``'s workers; the workers insert verified headers
/// into the chain state (``ChainStateHeaderSink``) and the outcome of each message is queued for
/// its peer (``legacyResults``) and posted back to the dispatcher (``SyncNetwork/wakeDispatcher(for:)``),
/// which applies it (``legacyHeadersReady(for:)``): penalties, the sender's branch, the next
/// `getheaders`. A peer's messages are processed and applied in the order they arrived; a peer that
/// leaves has its pending messages cancelled. RandomX never runs on the reactor or the dispatcher.
extension HeadersSync {
    /// The hashing submitter that stands for `peer` (ordering, fairness, budget, cancellation).
    static func submitter(for peer: PeerID) -> HashSubmitter { HashSubmitter(peer.rawValue) }

    /// Hands `headers` (already within the sender's headers budget) to the pipeline; the outcome is
    /// applied on the dispatcher later.
    func submitLegacyHeaders(
        _ headers: [BlockHeader], truncated: Bool, from peer: PeerID, through pipeline: HeaderBatchPipeline
    ) {
        let count = headers.count
        pipeline.process(headers, from: Self.submitter(for: peer)) { [weak self] result in
            self?.legacyBatchFinished(result, count: count, truncated: truncated, from: peer)
        }
    }

    /// A message's outcome, on whichever thread finished it (a hashing worker, or the dispatcher
    /// when no hash was needed): queued for the peer, and the dispatcher woken. Dropped when the peer
    /// has left (its cancelled messages end here too).
    private func legacyBatchFinished(_ result: HeaderBatchResult, count: Int, truncated: Bool, from peer: PeerID) {
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
        // Checked and queued under ``lock``: ``peerLeft(_:)`` removes the peer from the table before
        // it drops the queue, so an outcome of a departed peer is never left behind.
        let queued: Bool = lock.withLock {
            guard peers.contains(peer) else { return false }
            legacyResults[peer, default: []].append(processed)
            return true
        }
        if queued { network.wakeDispatcher(for: peer) }
    }

    /// Dispatcher thread: applies the outcomes queued for `peer`, oldest first.
    func legacyHeadersReady(for peer: PeerID) {
        let results = lock.withLock { legacyResults.removeValue(forKey: peer) ?? [] }
        for result in results { headersProcessed(result, from: peer) }
    }

    /// The peer left: its messages in the pipeline end as cancelled (a hash in progress finishes,
    /// nothing more is hashed for it) and its queued outcomes are dropped.
    func cancelLegacyHeaders(of peer: PeerID) {
        guard let legacyPipeline else { return }
        legacyPipeline.cancel(Self.submitter(for: peer))
        lock.withLock { legacyResults[peer] = nil }
    }

    /// The legacy hashing counters of `peer` (what its messages cost us), nil on a VDF network or
    /// before its first message.
    func legacyHashing(of peer: PeerID) -> HashingStatistics? {
        legacyPipeline?.service.statistics(for: Self.submitter(for: peer))
    }

    /// The legacy hashing counters of every peer together (``HeaderHashingService/statistics()``).
    var legacyHashingTotals: HashingStatistics? { legacyPipeline?.service.statistics() }

    /// The hash of a legacy block's header from the replay cache (a header that came through the
    /// pipeline costs a lookup), else computed here; VDF headers: SHA3-256.
    func blockHeaderHash(_ header: BlockHeader) throws(HeaderHashError) -> Hash256 {
        if !header.isVDF, let legacyPipeline, let cached = legacyPipeline.service.cachedHash(forKey: SHA3.hash(header.serialized)) {
            return cached
        }
        return try header.hash(legacyHasher: chain.configuration.legacyHasher)
    }
}
