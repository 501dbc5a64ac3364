import DilithionChain
import DilithionNet
import DilithionWire
import Logging

/// The intake pipeline: admission → validation (inline, or on the worker for large blocks) →
/// staging in arrival order → batched commit.
extension BlockDownload {
    /// A peer's block, whose header hashes to `hash`: recorded against the requests, admitted, and
    /// validated here or handed to the worker; then whatever is ready is staged and, when the batch
    /// is due, committed. Dispatcher thread.
    ///
    /// - Returns: the outcomes, in order, of this block and of earlier ones that completed now.
    func receive(
        _ message: BlockMessage, hash: Hash256, from peer: PeerID, payloadChecksum: PayloadChecksum?
    ) -> [BlockOutcome] {
        let now = clock.now
        let (requested, wasRequestedHere): (Bool, Bool) = lock.withLock {
            let inFlight = scheduler.peer(requestedFor: hash) != nil
            let here = scheduler.blockReceived(
                hash, from: peer, bytes: message.blob.count, nowMilliseconds: Self.milliseconds(now))
            return (inFlight, here)
        }
        var outcomes: [BlockOutcome] = []
        switch chain.admitBlock(message, hash: hash, requested: requested) {
        case .alreadyHave:
            outcomes.append(.ignored(reason: wasRequestedHere ? "block-duplicate" : "block-unrequested-known"))
        case .rejected(let rejection):
            outcomes.append(.rejected(rejection, from: peer))
        case .unrequestedOrphan:
            outcomes.append(.orphan(from: peer))
        case .validate(let headerKnown):
            let arrival = BlockArrival(
                hash: hash, message: message, peer: peer, payloadChecksum: payloadChecksum, headerKnown: headerKnown)
            if !submitToWorker(arrival) {
                arrival.validation = arrival.validate(legacyHasher: chain.configuration.legacyHasher)
                lock.withLock { arrivals.append(arrival) }
            }
        }
        return outcomes + drain()
    }

    /// Hands a large block to the worker (queued in ``arrivals`` first, so its place in the order is
    /// kept); false when it is validated here instead (small, no worker, or stopping).
    private func submitToWorker(_ arrival: BlockArrival) -> Bool {
        guard let worker, arrival.message.blob.count >= workerMinimumBytes else { return false }
        let legacyHasher = chain.configuration.legacyHasher
        return lock.withLock {
            guard !isStopping else { return false }
            arrivals.append(arrival)
            let queued = worker.submit { [weak self] in
                let result = arrival.validate(legacyHasher: legacyHasher)
                guard let self else { return }
                self.lock.withLock { arrival.validation = result }
                self.network.wakeDispatcher(for: arrival.peer)
            }
            if !queued { arrivals.removeLast() }
            return queued
        }
    }

    /// Stages the validated blocks at the head of the arrivals queue, in order, and commits the
    /// batch when it is due (``BlockCommitPolicy``; at once outside initial block download, when
    /// nothing more is on its way, or while stopping). Dispatcher thread (and ``stop()``).
    ///
    /// - Returns: the outcomes of the commits finished off the dispatcher since the last call,
    ///   then those of this call.
    func drain() -> [BlockOutcome] {
        batchLock.withLock {
            var outcomes = commits.takeFinished()
            let ready: [BlockArrival] = lock.withLock {
                let count = arrivals.prefix { $0.validation != nil }.count
                defer { arrivals.removeFirst(count) }
                return Array(arrivals.prefix(count))
            }
            let wallNow = wallTime()
            let nanoseconds = clock.now.nanoseconds
            var stagedBytes: [Int] = []
            for arrival in ready {
                guard let validation = arrival.validation else { continue }
                let notStaged = chain.stage(
                    arrival.message, hash: arrival.hash, validation: validation, headerKnown: arrival.headerKnown,
                    now: wallNow, payloadChecksum: arrival.payloadChecksum, into: &batch)
                switch notStaged {
                case nil:
                    if batchSenders.isEmpty { batchStartedAt = clock.now }
                    batchSenders.append(arrival.peer)
                    stagedBytes.append(arrival.message.blob.count + 150)
                case .rejected(let rejection)?:
                    outcomes.append(.rejected(rejection, from: arrival.peer))
                default:
                    outcomes.append(.ignored(reason: "block-duplicate"))
                }
            }
            // The rate counts blocks as they are taken in: a batch committed at once would show as a
            // burst of 1,000 blocks in no time.
            if !stagedBytes.isEmpty {
                lock.withLock { for bytes in stagedBytes { blockRate.record(bytes: bytes, nowNanoseconds: nanoseconds) } }
            }
            if !batch.isEmpty, commitIsDue() { outcomes += commitBatch() }
            return outcomes
        }
    }

    /// Whether the staged batch is to be committed now. Caller holds ``batchLock``.
    private func commitIsDue() -> Bool {
        let (stopping, nothingComing) = lock.withLock { (isStopping, scheduler.totalInFlight == 0 && arrivals.isEmpty) }
        if stopping || nothingComing || !chain.isInitialBlockDownload(now: wallTime()) { return true }
        let age = batchStartedAt.map { clock.now.duration(since: $0) } ?? .zero
        return policy.isDue(count: batch.count, bytes: batch.bytes, age: age)
    }

    /// Commits the batch in one transaction. A store failure is logged; the batch's blocks are then
    /// not stored and will be downloaded again. A batch of large blocks (on average at least
    /// ``workerMinimumBytes`` each) is committed on the ``BlockCommitQueue``'s thread, unless
    /// stopping: its outcomes come with a later ``drain()``, which its senders' wake (or the
    /// maintenance tick) brings. Any other commit waits for those first, so commits stay in staging
    /// order. Caller holds ``batchLock``.
    private func commitBatch() -> [BlockOutcome] {
        let staged = batch.take()
        let senders = batchSenders
        batchSenders.removeAll(keepingCapacity: true)
        batchStartedAt = nil
        let commit: @Sendable () -> [BlockOutcome] = { [chain, logger, wallTime] in
            Self.commit(staged, senders: senders, chain: chain, logger: logger, now: wallTime())
        }
        let offDispatcher = staged.bytes / max(staged.count, 1) >= workerMinimumBytes && !lock.withLock { isStopping }
        if offDispatcher, commits.submit(commit, committed: { [weak self] in
            guard let self else { return }
            for peer in Set(senders) { self.network.wakeDispatcher(for: peer) }
        }) {
            return []
        }
        commits.waitUntilIdle()
        return commits.takeFinished() + commit()
    }

    /// Stores `staged` (delivered by `senders`, in its order) and returns the stored outcomes;
    /// none when the store write failed (logged). Any thread.
    private static func commit(
        _ staged: BlockWriteBatch, senders: [PeerID], chain: ChainState, logger: Logger, now: Int64
    ) -> [BlockOutcome] {
        let committed: [CommittedBlock]
        do {
            committed = try chain.commit(staged, now: now)
        } catch {
            logger.error("store write failed: \(error)", metadata: ["blocks": "\(staged.count)"])
            return []
        }
        return zip(committed, zip(senders, staged.blocks)).map { block, sent in
            .stored(block, from: sent.0, message: sent.1.message)
        }
    }

    /// Stops handing out requests; the worker finishes what it holds, and everything validated is
    /// staged and committed (a graceful shutdown loses nothing received). Any thread.
    func stop() -> [BlockOutcome] {
        lock.withLock { isStopping = true }
        worker?.stop()
        commits.waitUntilIdle()  // a commit still running off the dispatcher: its outcomes come with this drain
        let outcomes = drain()
        commits.stop()
        return outcomes
    }
}
