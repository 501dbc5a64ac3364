import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Headers-first sync, block download and serving.
///
/// - One headers-sync peer at a time asks `getheaders` with our locator and continues while the
///   replies are full (2 000); announcements (`inv`, one-header `headers`) from any peer trigger
///   `getheaders` to that peer, as on the C++ node.
/// - Blocks are downloaded in parallel from every established peer by the
///   ``BlockDownloadScheduler`` (window, per-peer cap, stall detection, re-requests elsewhere).
/// - A block counts only after the store committed it; when the stored tip moves it is announced
///   (`headers` to peers that asked with `sendheaders`/`sendcmpct`, `inv` otherwise) once the node
///   is out of IBD.
extension Node {
    var nowMilliseconds: Int64 { Int64(clock.now.nanoseconds / 1_000_000) }

    /// Whether a peer with this user agent serves more than the C++ node's 32 blocks in flight:
    /// this implementation does (its block server streams requests in order under the send cap),
    /// so its pipeline may grow to fill a long link. Every other peer is held to 32 (PROTOCOL.md §6).
    /// A peer that claims this and then sits on requests is a staller like any other.
    static func pipelinesDeeply(userAgent: String) -> Bool {
        userAgent.hasPrefix("/dilithion-swift:")
    }

    func startSync(with peer: PeerID, peerHeight: Int32) {
        let ask: Bool = lock.withLock {
            let best = chain.bestHeader.height
            let claimsMore = Int(peerHeight) > best
            guard claimsMore || best == 0 else { return false }
            // No room for another batch above the stored tip: checkStalls restarts the sync once
            // blocks have caught up.
            guard hasRoomForHeaders else { return false }
            if let current = headersSyncPeer, current != peer {
                // A node still at genesis takes any peer for headers sync, even one claiming height 0;
                // such a peer must not keep the slot from one that claims more (it may never answer,
                // and would hold headers sync until the silent-peer check, 120 s later).
                let currentClaim = Int(sessions[current]?.version?.startHeight ?? 0)
                guard claimsMore, currentClaim <= best else { return false }
                syncLogger.info("headers sync peer replaced", metadata: [
                    "old": "\(current.rawValue)", "old_height": "\(currentClaim)", "peer": "\(peer.rawValue)",
                    "height": "\(peerHeight)"])
            }
            headersSyncPeer = peer
            return true
        }
        if ask { requestHeaders(from: peer) }
        requestWork()
    }

    func requestHeaders(from peer: PeerID) {
        lock.withLock { sessions[peer]?.headersRequestedAt = clock.now }
        send(.getheaders(GetHeadersMessage(locator: chain.locator())), to: peer)
    }

    func receivedHeaders(_ headers: [BlockHeader], _ context: HandlerContext) {
        if headers.isEmpty {
            // Nothing past our locator: whatever height the peer claimed, it has nothing for us now,
            // so it is not chosen for headers sync again (a peer that claims a high start height and
            // answers empty would otherwise starve headers sync) and is asked for no blocks above it.
            let best = Int32(clamping: chain.bestHeader.height)
            lock.withLock {
                if headersSyncPeer == context.peer { headersSyncPeer = nil }
                if let session = sessions[context.peer] { session.bestKnownHeight = min(session.bestKnownHeight, best) }
            }
            requestWork()
            return
        }
        let result = chain.acceptHeaders(headers, now: wallClock.now)
        var pausedAtCap = false
        if case .tooFarAheadOfTip? = result.rejection {
            // Not the peer's fault: we hold as many headers above our blocks as we keep.
            pausedAtCap = true
            countIgnored("headers-ahead-of-blocks")
        } else if let rejection = result.rejection {
            penalize(context, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
        }
        let lastHeight = Int32(clamping: result.lastHeader?.height ?? 0)
        lock.withLock {
            if let session = sessions[context.peer] {
                if let last = result.lastHeader { session.bestKnownHash = last.hash }
                // A reply shorter than the maximum ends at the peer's tip; a full one is a lower bound.
                session.bestKnownHeight = headers.count < Limits.maxHeaders && lastHeight > 0
                    ? lastHeight : max(session.bestKnownHeight, lastHeight)
            }
        }
        if headers.count == Limits.maxHeaders && (result.rejection == nil || pausedAtCap) && hasRoomForHeaders {
            requestHeaders(from: context.peer)
        } else if pausedAtCap || (headers.count == Limits.maxHeaders && result.rejection == nil) {
            // Paused at the headers cap: resumed as blocks are stored (receivedBlock), or by checkStalls.
            lock.withLock {
                if headersSyncPeer == context.peer { headersSyncPeer = nil }
                headersSyncPaused = true
            }
            syncLogger.debug("headers sync paused until blocks catch up", metadata: [
                "headers": "\(chain.bestHeader.height)", "tip": "\(chain.tip.height)"])
        } else {
            lock.withLock { if headersSyncPeer == context.peer { headersSyncPeer = nil } }
            if result.acceptedCount > 0 || result.rejection == nil {
                syncLogger.info("headers synced", metadata: [
                    "peer": "\(context.peer.rawValue)", "headers": "\(result.bestHeader.height)", "tip": "\(chain.tip.height)"])
            }
        }
        requestWork()
    }

    func receivedInventory(_ items: [InventoryItem], _ context: HandlerContext) {
        var unknownBlock = false
        for item in items {
            switch item.kind {
            case .block, .compactBlock:
                if chain.record(for: item.hash) == nil { unknownBlock = true }
            case .transaction, .filteredBlock:
                countIgnored("inv-\(item.kind == .transaction ? "tx" : "filtered")")
            case nil:
                penalize(context, points: 10, reason: "bad-inv-type", detail: "inventory type \(item.type)")
            }
        }
        if unknownBlock { requestHeaders(from: context.peer) }
    }

    func receivedGetdata(_ items: [InventoryItem], _ context: HandlerContext) {
        var hashes = [Hash256]()
        for item in items {
            switch item.kind {
            case .block:
                hashes.append(item.hash)
            case .transaction, .filteredBlock, .compactBlock:
                countIgnored("getdata-unsupported")
            case nil:
                penalize(context, points: 10, reason: "bad-inv-type", detail: "inventory type \(item.type)")
            }
        }
        if !hashes.isEmpty { serving.enqueue(hashes, for: context.peer) }
    }

    func receivedBlock(_ block: BlockMessage, _ context: HandlerContext) {
        let hash: Hash256
        do {
            hash = try block.header.hash(legacyHasher: chain.configuration.legacyHasher)
        } catch {
            countIgnored("legacy-hasher-unavailable")
            return
        }
        let now = context.now
        let requested: Bool = lock.withLock {
            let wasRequested = scheduler.blockReceived(
                hash, from: context.peer, bytes: block.blob.count, nowMilliseconds: Int64(now.nanoseconds / 1_000_000))
            if let session = sessions[context.peer] {
                session.blocksDelivered += 1
                session.lastBlockAt = now
            }
            return wasRequested
        }
        let acceptance: BlockAcceptance
        do {
            acceptance = try chain.acceptBlock(block, now: wallClock.now)
        } catch {
            storeLogger.error("store write failed: \(error)")
            return
        }
        switch acceptance {
        case .stored(_, let height, _):
            lock.withLock { blockRate.record(bytes: block.blob.count + 150, nowNanoseconds: clock.now.nanoseconds) }
            if lock.withLock({ headersSyncPaused }), hasRoomForHeaders {
                lock.withLock { headersSyncPaused = false }
                startHeadersSyncWithBestCandidate()
            }
            announceTipIfMoved(except: context.peer)
            if height % 500 == 0 || chain.tip.height == chain.bestHeader.height {
                logProgress()
            }
        case .alreadyHave:
            countIgnored(requested ? "block-duplicate" : "block-unrequested-known")
        case .rejected(let rejection):
            penalize(context, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
        case .unrequestedOrphan:
            countIgnored("block-orphan")
            requestHeaders(from: context.peer)
        }
        requestWork()
    }

    /// Hands out block requests to every established peer with room, round-robin, each only for
    /// blocks at or below the height it is known to have (its start height or the headers it sent):
    /// a peer behind us is never asked for blocks it cannot have, and so never taken for a staller.
    func requestWork() {
        // Nothing to fetch when the stored tip is the best header (the tip lies on the best header
        // chain, so equal heights mean the same block): no scan of the peers at all. It is called
        // on every handshake and every block, so with thousands of idle peers this matters.
        guard chain.tip.height < chain.bestHeader.height else { return }
        // Only peers with a batch of free slots are served (see `requestBatch`); when there are
        // none, the candidate list is not even built.
        let ready: [PeerID] = lock.withLock {
            guard !isStopping else { return [] }
            return sessions.filter { $0.value.isEstablished && scheduler.freeSlots(for: $0.key) >= scheduler.requestBatch(for: $0.key) }
                .map(\.key).sorted()
        }
        guard !ready.isEmpty else { return }
        let candidates = chain.downloadCandidates(limit: scheduler.configuration.windowSize)
        guard !candidates.isEmpty else { return }
        let tipHeight = chain.tip.height
        let now = nowMilliseconds
        let requests: [(PeerID, [Hash256])] = lock.withLock {
            guard !isStopping else { return [] }
            var out = [(PeerID, [Hash256])]()
            for peer in ready {
                guard let session = sessions[peer], session.isEstablished else { continue }
                guard !manager.isOverSendCap(peer) else { continue }
                var known = Int(session.bestKnownHeight)
                // A peer whose last header lies on another branch has our blocks only up to the fork.
                if let hash = session.bestKnownHash, !chain.isOnBestChain(hash), let fork = chain.forkHeight(of: hash) {
                    known = min(known, fork)
                }
                guard let first = candidates.first, first.height <= known else { continue }
                let available = candidates.last!.height <= known ? candidates : candidates.filter { $0.height <= known }
                let hashes = scheduler.nextRequests(for: peer, candidates: available, tipHeight: tipHeight, nowMilliseconds: now)
                if !hashes.isEmpty { out.append((peer, hashes)) }
            }
            return out
        }
        for (peer, hashes) in requests {
            send(.getdata(hashes.map { InventoryItem(.block, hash: $0) }), to: peer)
        }
    }

    /// How often the node-wide stall and sync-peer check runs at most: a second, or the tick when
    /// that is shorter.
    var stallCheckInterval: Duration { min(.seconds(1), configuration.timeouts.tick) }

    /// Runs ``checkStalls()`` unless it ran less than ``stallCheckInterval`` ago. Node-wide work
    /// that rides on the per-peer ticks: once per interval however many peers tick.
    func checkStallsIfDue(now: EngineInstant) {
        let due: Bool = lock.withLock {
            if let last = lastStallCheck, now.duration(since: last) < stallCheckInterval { return false }
            lastStallCheck = now
            return true
        }
        if due { checkStalls() }
    }

    /// Disconnects peers that sat on requested blocks past the (adaptive) stall deadline; their
    /// blocks go back to the pool and are asked of others. Scans every peer: run it node-wide at
    /// most once per ``stallCheckInterval``, not once per peer.
    func checkStalls() {
        let stalled: [PeerID] = lock.withLock { scheduler.stalledPeers(nowMilliseconds: nowMilliseconds) }
        for peer in stalled {
            syncLogger.info("stall: disconnecting peer", metadata: ["peer": "\(peer.rawValue)"])
            manager.disconnect(peer, reason: .stalling)
        }
        // A headers-sync peer that never answered is replaced.
        let now = clock.now
        let silentSync: PeerID? = lock.withLock {
            guard let peer = headersSyncPeer, let asked = sessions[peer]?.headersRequestedAt else { return nil }
            if now.duration(since: asked) > .seconds(120) { headersSyncPeer = nil; return peer }
            return nil
        }
        if let silentSync { syncLogger.info("headers sync peer silent; choosing another", metadata: ["peer": "\(silentSync.rawValue)"]) }
        if lock.withLock({ headersSyncPeer == nil }) { startHeadersSyncWithBestCandidate() }
        demoteUnavailableBranchIfBlocked(now: now)
        requestWork()
    }

    /// When blocks are missing but none is in flight and none could be asked of anyone for
    /// ``PeerTimeouts/unavailableBranch``, the best header chain's next block is on a branch nobody
    /// connected serves (a peer that sent free VDF headers and withheld the blocks, or an announcer
    /// that left): that branch is demoted and the best header chain falls back to one that can be
    /// fetched. A peer that sends the branch again makes it compete again.
    func demoteUnavailableBranchIfBlocked(now: EngineInstant) {
        let missing = chain.tip.height < chain.bestHeader.height
        let blockedFor: Duration? = lock.withLock {
            let hasPeers = sessions.values.contains { $0.isEstablished }
            guard missing, hasPeers, scheduler.totalInFlight == 0 else {
                downloadBlockedSince = nil
                return nil
            }
            let since = downloadBlockedSince ?? now
            downloadBlockedSince = since
            return now.duration(since: since)
        }
        guard let blockedFor, blockedFor >= configuration.timeouts.unavailableBranch,
            let next = chain.downloadCandidates(limit: 1).first
        else { return }
        lock.withLock { downloadBlockedSince = nil }
        let change = chain.markUnavailable(next.hash)
        syncLogger.info("best header branch unavailable: demoted", metadata: [
            "hash": "\(next.hash)", "height": "\(next.height)", "headers": "\(chain.bestHeader.height)",
            "tip": "\(chain.tip.height)", "reorg": "\(change != nil)"])
        countIgnored("branch-unavailable")
    }

    /// Starts headers sync with the established peer known to have the most headers beyond ours.
    func startHeadersSyncWithBestCandidate() {
        let best = chain.bestHeader.height
        let candidate: (PeerID, Int32)? = lock.withLock {
            sessions.values.filter { $0.isEstablished && Int($0.bestKnownHeight) > best }
                .max { $0.bestKnownHeight < $1.bestKnownHeight }.map { ($0.id, $0.bestKnownHeight) }
        }
        if let candidate { startSync(with: candidate.0, peerHeight: candidate.1) }
    }

    /// Whether a full batch of headers still fits under the cap on headers above the stored tip.
    var hasRoomForHeaders: Bool {
        chain.bestHeader.height - chain.tip.height + Limits.maxHeaders <= chain.configuration.maxHeadersAheadOfTip
    }

    var isInitialBlockDownload: Bool {
        let tip = chain.tip.height
        let best = chain.bestHeader.height
        return tip < best
    }

    /// Announces the tip to every established peer but `source` whenever it has moved since the
    /// last announcement (only out of IBD, so a syncing node does not flood): up to the last 8 new
    /// blocks, as `headers` to peers that asked for them (`sendheaders`/`sendcmpct`), as `inv`
    /// otherwise. Keyed on the stored tip, not on header acceptance, because a block whose header
    /// arrived first (the usual relay order) moves the tip without changing the best header chain.
    func announceTipIfMoved(except source: PeerID?) {
        guard !isInitialBlockDownload else { return }
        let tip = chain.tip
        let firstHeight: Int? = lock.withLock {
            guard tip.hash != lastAnnouncedTip.hash else { return nil }
            let first = tip.height > lastAnnouncedTip.height ? lastAnnouncedTip.height + 1 : tip.height
            lastAnnouncedTip = tip
            return first
        }
        guard let firstHeight else { return }
        let heights = max(firstHeight, tip.height - 7, 1)...max(tip.height, 1)
        let records = heights.compactMap { chain.record(atHeight: $0) }
        guard !records.isEmpty else { return }
        let targets: [(PeerID, Bool)] = lock.withLock {
            sessions.values.filter { $0.isEstablished && $0.id != source }.map { ($0.id, $0.wantsHeaders) }
        }
        for (peer, wantsHeaders) in targets {
            if wantsHeaders {
                send(.headers(records.map(\.header)), to: peer)
            } else {
                send(.inv(records.map { InventoryItem(.block, hash: $0.hash) }), to: peer)
            }
        }
    }

    func logProgress() {
        let tip = chain.tip.height
        let best = max(chain.bestHeader.height, 1)
        let rate = lock.withLock { blockRate.snapshot(nowNanoseconds: clock.now.nanoseconds) }
        let remaining = Double(best - tip)
        let eta = rate.blocksPerSecond > 0 ? Int(remaining / rate.blocksPerSecond) : -1
        syncLogger.info("sync progress", metadata: [
            "height": "\(tip)", "headers": "\(best)", "percent": "\(String(format: "%.1f", 100 * Double(tip) / Double(best)))",
            "blocks_per_s": "\(String(format: "%.1f", rate.blocksPerSecond))",
            "MB_per_s": "\(String(format: "%.2f", rate.bytesPerSecond / 1e6))", "eta_s": "\(eta)"])
    }
}
