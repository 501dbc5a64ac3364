import DilithionChain
import DilithionNet
import DilithionWire

/// Blocks: receipt (through the ``BlockDownload`` pipeline), what follows a commit, and requests.
extension SyncCoordinator {
    /// A peer's `block`: handed to the download pipeline (stored when it validates and its branch
    /// may compete; requested blocks always are); then the outcomes of whatever the pipeline
    /// finished are applied and more work handed out.
    func receivedBlock(_ block: BlockMessage, from peer: PeerID, payloadChecksum: PayloadChecksum? = nil) {
        let hash: Hash256
        do {
            hash = try blockHeaderHash(block.header)
        } catch {
            network.countIgnored("legacy-hasher-unavailable")
            return
        }
        let now = clock.now
        lock.withLock {
            if peers[peer] != nil {
                peers[peer]?.blocksDelivered += 1
                peers[peer]?.lastBlockAt = now
            }
        }
        blocksProcessed(downloads.receive(block, hash: hash, from: peer, payloadChecksum: payloadChecksum))
        requestWork()
    }

    /// The dispatcher was woken (``SyncNetwork/wakeDispatcher(for:)``) because work done off it is
    /// ready: outcomes of legacy `headers` messages of `peer`, and blocks validated on the worker
    /// (of any peer: they are staged in arrival order).
    func offDispatcherWorkReady(for peer: PeerID) {
        legacyHeadersReady(for: peer)
        blocksProcessed(downloads.drain())
        requestWork()
    }

    /// Applies the pipeline's outcomes in order: a stored block updates what its sender is known to
    /// have and may move the active tip (logged, announced out of initial block download, headers
    /// sync resumed); a rejected one costs its sender points; an orphan makes us ask its sender for
    /// headers.
    func blocksProcessed(_ outcomes: [BlockOutcome]) {
        guard !outcomes.isEmpty else { return }
        var lastStored: (CommittedBlock, PeerID, BlockMessage)?
        for outcome in outcomes {
            switch outcome {
            case .stored(let block, let peer, let message):
                if let record = chain.record(for: block.hash) { noteAnnounced(record, by: peer) }
                if let change = block.activeChainChange { activeChainMoved(change) }
                if block.height % 500 == 0 { logProgress() }
                lastStored = (block, peer, message)
            case .rejected(let rejection, let peer):
                network.penalize(peer, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
            case .orphan(let peer):
                network.countIgnored("block-orphan")
                requestHeaders(from: peer)
            case .ignored(let reason):
                network.countIgnored(reason)
            }
        }
        guard let (last, peer, message) = lastStored else { return }
        resumeHeadersSyncIfRoom()
        announceTipIfMoved(except: peer, block: last.hash == chain.tip.hash ? message : nil)
        if chain.tip.hash == chain.bestHeader.hash { logProgress() }
    }

    /// Resumes a headers sync paused at the cap once blocks made room.
    func resumeHeadersSyncIfRoom() {
        guard lock.withLock({ headersSyncPaused }), hasRoomForHeaders(above: chain.headersSyncHeight) else { return }
        lock.withLock { headersSyncPaused = false }
        startHeadersSyncWithBestCandidate()
    }

    /// Hands out block requests to every established peer with room (``BlockDownload/requestWork(candidates:)``).
    func requestWork() {
        let candidates = lock.withLock { peers.values.map { ($0.id, $0.knownHash, $0.knownHeight) } }
        downloads.requestWork(candidates: candidates)
    }
}
