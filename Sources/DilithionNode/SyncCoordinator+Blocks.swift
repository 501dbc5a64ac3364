import DilithionChain
import DilithionNet
import DilithionWire

/// Blocks: receipt (through the ``BlockDownload`` pipeline), what follows a commit, requests and
/// the progress line.
extension SyncCoordinator {
    /// A peer's `block`: handed to the download pipeline (stored when it validates and its branch
    /// may compete; requested blocks always are); then the outcomes of whatever the pipeline
    /// finished are applied and more work handed out.
    func receivedBlock(_ block: BlockMessage, from peer: PeerID, payloadChecksum: PayloadChecksum? = nil) {
        let hash: Hash256
        do {
            hash = try headers.blockHeaderHash(block.header)
        } catch {
            network.countIgnored("legacy-hasher-unavailable")
            return
        }
        let now = clock.now
        peers.update { peers in
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
        headers.legacyHeadersReady(for: peer)
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
                if let record = chain.record(for: block.hash) { peers.noteAnnounced(record, by: peer, in: chain) }
                if let change = block.activeChainChange { announcer.activeChainMoved(change) }
                if block.height % 500 == 0 { logProgress() }
                lastStored = (block, peer, message)
            case .rejected(let rejection, let peer):
                network.penalize(peer, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
            case .orphan(let peer):
                network.countIgnored("block-orphan")
                headers.requestHeaders(from: peer)
            case .ignored(let reason):
                network.countIgnored(reason)
            }
        }
        guard let (last, peer, message) = lastStored else { return }
        headers.resumeIfRoom()
        announcer.announceTipIfMoved(except: peer, block: last.hash == chain.tip.hash ? message : nil)
        if chain.tip.hash == chain.bestHeader.hash { logProgress() }
    }

    /// Hands out block requests to every established peer with room (``BlockDownload/requestWork(candidates:)``).
    func requestWork() {
        downloads.requestWork(candidates: peers.downloadCandidates)
    }

    /// One `sync progress` line: heights, rate and the estimated time left.
    func logProgress() {
        let tip = chain.tip.height
        let best = max(chain.bestHeader.height, 1)
        let rate = downloads.rate
        let remaining = Double(max(best - tip, 0))
        let eta = rate.blocksPerSecond > 0 ? Int(remaining / rate.blocksPerSecond) : -1
        logger.info("sync progress", metadata: [
            "height": "\(tip)", "headers": "\(best)", "percent": "\(String(format: "%.1f", 100 * Double(tip) / Double(best)))",
            "blocks_per_s": "\(String(format: "%.1f", rate.blocksPerSecond))",
            "MB_per_s": "\(String(format: "%.2f", rate.bytesPerSecond / 1e6))", "eta_s": "\(eta)"])
    }
}
