import DilithionChain
import DilithionNet
import DilithionWire

/// Receipt: `getheaders` answered, `headers` and `inv` taken in, the sender's headers budget.
extension HeadersSync {
    /// A peer's `getheaders`: answered from the active chain (PROTOCOL.md §3.6), always, even empty;
    /// the reply is a finished frame, usually the chain's cached one, queued without a copy.
    func receivedGetHeaders(_ request: GetHeadersMessage, from peer: PeerID) {
        network.send(chain.headersReplyForPeer(locator: request.locator, stop: request.hashStop), to: peer)
    }

    /// A peer's `headers`: added to the tree in order; the sender's branch is remembered (it is
    /// asked for that branch's blocks); a full batch is continued from its last header while the
    /// cap on headers above the active tip leaves room, else headers sync pauses until blocks
    /// catch up.
    func receivedHeaders(_ headers: [BlockHeader], from peer: PeerID) {
        if headers.isEmpty {
            // Nothing past our locator: whatever height the peer claimed, it has nothing for us now,
            // so it is not chosen for headers sync again (a peer that claims a high start height and
            // answers empty would otherwise starve headers sync) and is asked for no blocks above it.
            let best = Int32(clamping: chain.bestHeader.height)
            lock.withLock { if headersSyncPeer == peer { headersSyncPeer = nil } }
            peers.update { peers in
                if let known = peers[peer]?.knownHeight { peers[peer]?.knownHeight = min(known, best) }
            }
            downloads.requestWork(candidates: peers.downloadCandidates)
            return
        }
        if chain.record(for: headers[0].previousBlockHash) == nil {
            receivedUnconnectingHeaders(headers, from: peer)
            return
        }
        peers.update { $0[peer]?.unconnectingHeaders = 0 }
        let batch = withinBudget(headers, from: peer)
        guard !batch.isEmpty else { return }
        let truncated = batch.count < headers.count
        if let legacy {
            // RandomX headers: cheap checks here, hashes on the hashing workers; the outcome comes
            // back to the dispatcher (legacyHeadersReady).
            legacy.submit(Array(batch), truncated: truncated, from: peer)
            return
        }
        let result = chain.acceptHeaders(truncated ? Array(batch) : headers, now: wallTime())
        if let change = result.activeChainChange { announcer.activeChainMoved(change) }
        headersProcessed(
            ProcessedHeaders(
                count: batch.count, truncated: truncated, acceptedCount: result.acceptedCount,
                rejection: result.rejection, lastHeader: result.lastHeader,
                mayHaveMovedActiveTip: result.activeChainChange != nil),
            from: peer)
    }

    /// The consequences of a processed `headers` message: penalties per the rejection's points, the
    /// sender's branch, and headers sync continued from a full batch's last header while the cap
    /// on headers above the active tip leaves room (else paused until blocks catch up).
    func headersProcessed(_ result: ProcessedHeaders, from peer: PeerID) {
        var pausedAtCap = false
        if case .tooFarAheadOfTip? = result.rejection {
            // Not the peer's fault: we hold as many headers above our blocks as we keep.
            pausedAtCap = true
            network.countIgnored("headers-ahead-of-blocks")
        } else if let rejection = result.rejection {
            network.penalize(peer, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
        }
        if result.mayHaveMovedActiveTip {
            // Blocks kept by a salvaging reindex joined the active chain as their headers came back.
            announcer.announceTipIfMoved(except: peer)
        }
        let lastHeight = Int32(clamping: result.lastHeader?.height ?? 0)
        let truncated = result.truncated
        // A batch cut by the budget is not continued now: headers sync asks again as it refills.
        let full = result.count == Limits.maxHeaders && !truncated
        peers.update { peers in
            guard var state = peers[peer] else { return }
            if let last = result.lastHeader { state.knownHash = last.hash }
            // A reply shorter than the maximum ends at the peer's tip; a full one is a lower bound.
            state.knownHeight = !full && !truncated && lastHeight > 0 ? lastHeight : max(state.knownHeight, lastHeight)
            peers[peer] = state
        }
        if full, result.rejection == nil || pausedAtCap, let last = result.lastHeader, hasRoomForHeaders(above: last.height) {
            requestHeaders(from: peer, after: last.hash)
        } else if pausedAtCap || (full && result.rejection == nil) {
            // Paused at the headers cap: resumed as blocks are stored (receivedBlock), or by the tick.
            lock.withLock {
                if headersSyncPeer == peer { headersSyncPeer = nil }
                headersSyncPaused = true
            }
            logger.debug("headers sync paused until blocks catch up", metadata: [
                "headers": "\(chain.bestHeader.height)", "tip": "\(chain.tip.height)"])
        } else {
            lock.withLock { if headersSyncPeer == peer { headersSyncPeer = nil } }
            if result.acceptedCount > 0 || result.rejection == nil {
                logger.info("headers synced", metadata: [
                    "peer": "\(peer.rawValue)", "headers": "\(chain.bestHeader.height)", "tip": "\(chain.tip.height)"])
            }
        }
        downloads.requestWork(candidates: peers.downloadCandidates)
    }

    /// `headers` whose first header's parent we do not know: the peer is ahead of what it thinks we
    /// have (an announcement after a reorg deeper than ``TipAnnouncer/maxAnnouncedBlocks``, or blocks it learnt
    /// while we were apart). As Bitcoin Core does, we ask it with `getheaders` from our best header,
    /// so the reply connects, and count the message; only more than
    /// ``SyncSettings/unconnectingHeadersLimit`` of them in a row cost points (20, the C++ node's
    /// `prev-blk-not-found`), and the count starts again. Nothing of the batch is processed.
    private func receivedUnconnectingHeaders(_ headers: [BlockHeader], from peer: PeerID) {
        let count: Int? = peers.update { peers in
            guard peers[peer] != nil else { return nil }
            peers[peer]!.unconnectingHeaders += 1
            let count = peers[peer]!.unconnectingHeaders
            if count > settings.unconnectingHeadersLimit { peers[peer]!.unconnectingHeaders = 0 }
            return count
        }
        guard let count else { return }
        network.countIgnored("headers-unconnecting")
        logger.debug("headers do not connect: asking for the missing ones", metadata: [
            "peer": "\(peer.rawValue)", "count": "\(headers.count)", "in_a_row": "\(count)"])
        if count > settings.unconnectingHeadersLimit {
            let rejection = ChainRejection.unknownParent(headers[0].previousBlockHash)
            network.penalize(
                peer, points: rejection.misbehaviourPoints, reason: rejection.reasonCode,
                detail: "\(count) headers messages in a row that do not connect")
        }
        requestHeaders(from: peer)
    }

    /// The part of `headers` the sender's address may make us process (``HeadersBudget``); all of
    /// them during initial block download. What is cut is counted, not penalised. The header of a
    /// `cmpctblock` draws on the same budget (``CompactRelay``).
    func withinBudget(_ headers: [BlockHeader], from peer: PeerID) -> ArraySlice<BlockHeader> {
        guard !isInitialBlockDownload else { return headers[...] }
        let nowSeconds = Double(clock.now.nanoseconds) / 1e9
        guard let host = peers.read({ $0[peer]?.host }) else { return headers[...] }
        let allowed: Int = lock.withLock {
            headersBudget.take(
                headers.count, host: host, nowSeconds: nowSeconds, rate: settings.headersPerSecond,
                burst: Double(settings.headersBurst))
        }
        if allowed < headers.count {
            network.countIgnored("headers-over-budget")
            logger.debug("headers over budget", metadata: [
                "peer": "\(peer.rawValue)", "sent": "\(headers.count)", "processed": "\(allowed)"])
        }
        return headers.prefix(allowed)
    }

    /// A peer's `inv`: an unknown block triggers `getheaders` to it (C++ behaviour: block `inv`s
    /// never cause a direct `getdata`); a known one updates what it is known to have.
    func receivedInventory(_ items: [InventoryItem], from peer: PeerID) {
        var unknownBlock = false
        for item in items {
            switch item.kind {
            case .block, .compactBlock:
                if let record = chain.record(for: item.hash) {
                    peers.noteAnnounced(record, by: peer, in: chain)
                } else {
                    unknownBlock = true
                }
            case .transaction, .filteredBlock:
                network.countIgnored("inv-\(item.kind == .transaction ? "tx" : "filtered")")
            case nil:
                network.penalize(peer, points: 10, reason: "bad-inv-type", detail: "inventory type \(item.type)")
            }
        }
        if unknownBlock { requestHeaders(from: peer) }
    }
}
