import DilithionChain
import DilithionNet
import DilithionWire

/// Blocks: receipt, and handing out requests.
extension SyncCoordinator {
    /// A peer's `block`: stored when it validates and its branch may compete (requested blocks
    /// always are), then the active tip's move is logged and announced and more work handed out.
    func receivedBlock(_ block: BlockMessage, from peer: PeerID, payloadChecksum: PayloadChecksum? = nil) {
        let hash: Hash256
        do {
            hash = try blockHeaderHash(block.header)
        } catch {
            network.countIgnored("legacy-hasher-unavailable")
            return
        }
        let now = clock.now
        let (requested, wasRequestedHere): (Bool, Bool) = lock.withLock {
            let inFlight = scheduler.peer(requestedFor: hash) != nil
            let here = scheduler.blockReceived(
                hash, from: peer, bytes: block.blob.count, nowMilliseconds: Int64(now.nanoseconds / 1_000_000))
            if peers[peer] != nil {
                peers[peer]?.blocksDelivered += 1
                peers[peer]?.lastBlockAt = now
            }
            return (inFlight, here)
        }
        let acceptance: BlockAcceptance
        do {
            acceptance = try chain.acceptBlock(
                block, now: wallTime(), requested: requested, knownHash: hash, payloadChecksum: payloadChecksum)
        } catch {
            logger.error("store write failed: \(error)")
            return
        }
        switch acceptance {
        case .stored(_, let height, let change):
            lock.withLock { blockRate.record(bytes: block.blob.count + 150, nowNanoseconds: clock.now.nanoseconds) }
            if let record = chain.record(for: hash) { noteAnnounced(record, by: peer) }
            if let change { activeChainMoved(change) }
            resumeHeadersSyncIfRoom()
            announceTipIfMoved(except: peer, block: block)
            if height % 500 == 0 || chain.tip.hash == chain.bestHeader.hash { logProgress() }
        case .alreadyHave:
            network.countIgnored(wasRequestedHere ? "block-duplicate" : "block-unrequested-known")
        case .rejected(let rejection):
            network.penalize(peer, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
        case .unrequestedOrphan:
            network.countIgnored("block-orphan")
            requestHeaders(from: peer)
        }
        requestWork()
    }

    /// Resumes a headers sync paused at the cap once blocks made room.
    func resumeHeadersSyncIfRoom() {
        guard lock.withLock({ headersSyncPaused }), hasRoomForHeaders(above: chain.headersSyncHeight) else { return }
        lock.withLock { headersSyncPaused = false }
        startHeadersSyncWithBestCandidate()
    }

    /// Hands out block requests to every established peer with room, in peer order: each is asked
    /// for the blocks toward the header it is known to have, when that has more work than the
    /// active tip (``ChainState/downloadTarget(knownHash:knownHeight:)``). A peer behind us, or on a
    /// lighter branch, is asked for nothing and so never taken for a staller; a peer that claimed a
    /// branch nobody else has is the only one asked for it.
    func requestWork() {
        // Nothing to fetch when the active tip is the best header: no header has more work. This
        // runs on every handshake and every block, so with thousands of idle peers it matters.
        let tip = chain.tip
        guard tip.hash != chain.bestHeader.hash else { return }
        // Only peers with a batch of free slots are served (see `requestBatch`).
        let ready: [(PeerID, Hash256?, Int32)] = lock.withLock {
            guard !isStopping else { return [] }
            return peers.values.filter { scheduler.freeSlots(for: $0.id) >= scheduler.requestBatch(for: $0.id) }
                .sorted { $0.id < $1.id }.map { ($0.id, $0.knownHash, $0.knownHeight) }
        }
        var plans: [Hash256: DownloadPlan] = [:]
        var targets: [(PeerID, Hash256)] = []
        for (peer, knownHash, knownHeight) in ready {
            // A peer that sent no header and claims no more than our tip has nothing for us.
            if knownHash == nil, Int(knownHeight) <= tip.height { continue }
            guard !network.isOverSendCap(peer),
                let target = chain.downloadTarget(knownHash: knownHash, knownHeight: Int(knownHeight))
            else { continue }
            if plans[target] == nil { plans[target] = chain.downloadPlan(toward: target, limit: scheduler.configuration.windowSize) }
            targets.append((peer, target))
        }
        guard !targets.isEmpty else { return }
        let now = nowMilliseconds
        let requests: [(PeerID, [Hash256])] = lock.withLock {
            guard !isStopping else { return [] }
            var out = [(PeerID, [Hash256])]()
            for (peer, target) in targets {
                guard peers[peer] != nil, let plan = plans[target], !plan.candidates.isEmpty else { continue }
                let hashes = scheduler.nextRequests(
                    for: peer, candidates: plan.candidates, tipHeight: plan.forkHeight, nowMilliseconds: now)
                if !hashes.isEmpty { out.append((peer, hashes)) }
            }
            return out
        }
        for (peer, hashes) in requests {
            network.send(.getdata(hashes.map { InventoryItem(.block, hash: $0) }), to: peer)
        }
    }
}
