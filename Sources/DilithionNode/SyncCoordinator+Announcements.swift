import DilithionChain
import DilithionNet
import DilithionWire
import Foundation

/// Announcements of the active tip, reorg reports and the progress line.
extension SyncCoordinator {
    /// Most blocks one announcement names (the rest a peer fetches with `getheaders`).
    static let maxAnnouncedBlocks = 8

    /// Logs a switch of branch of the active chain (a reorg: old tip, new tip, depth) at info; the
    /// chain state counts it for `/metrics`.
    func activeChainMoved(_ change: ChainChange) {
        guard change.isReorg else { return }
        logger.info("reorg", metadata: [
            "old_tip": "\(change.oldTip)", "new_tip": "\(change.newTip)", "depth": "\(change.disconnected.count)",
            "fork_height": "\(change.forkHeight)"])
    }

    /// Announces the active tip to every established peer but `source` whenever it moved since the
    /// last announcement, once the node is out of initial block download: the new active-chain
    /// blocks since the fork point with the last announced tip (at most the last
    /// ``maxAnnouncedBlocks``), as `headers` to peers that asked for them, as `inv` otherwise. Only
    /// active-chain blocks are ever announced, and a peer whose known header already is at or above
    /// the tip on the active chain is skipped. A tip one block on top of the last announced one is
    /// first offered to ``newTipPush`` (compact-block push to high-bandwidth peers), and the peers
    /// it was pushed to get no other announcement. `block` is the new tip's block when the caller
    /// has it (saves a store read).
    func announceTipIfMoved(except source: PeerID?, block: BlockMessage? = nil) {
        guard !isInitialBlockDownload else { return }
        let tip = chain.tip
        let previous: ChainTip? = lock.withLock {
            guard tip.hash != lastAnnouncedTip.hash else { return nil }
            defer { lastAnnouncedTip = tip }
            return lastAnnouncedTip
        }
        guard let previous else { return }
        // After a reorg the new branch starts above the fork point with the previous tip.
        let fork = chain.activeForkHeight(of: previous.hash) ?? max(tip.height - Self.maxAnnouncedBlocks, 0)
        let first = max(fork + 1, tip.height - Self.maxAnnouncedBlocks + 1, 1)
        guard first <= tip.height else { return }
        let records = (first...tip.height).compactMap { chain.record(atHeight: $0) }
        guard records.last?.hash == tip.hash else { return }  // the tip moved again meanwhile: that call announces
        let targets: [(PeerID, Bool, Hash256?, Int32)] = lock.withLock {
            peers.values.filter { $0.id != source }.map { ($0.id, $0.wantsHeaders, $0.knownHash, $0.knownHeight) }
        }
        let needing = targets.filter { _, _, knownHash, knownHeight in
            !(knownHash.map { Int(knownHeight) >= tip.height && chain.isOnActiveChain($0) } ?? false)
        }
        var pushed = Set<PeerID>()
        if let push = newTipPush, let newTip = records.last, newTip.header.previousBlockHash == previous.hash {
            pushed = push.pushNewTip(newTip, block: block, to: needing.map(\.0), deliveredBy: source)
        }
        for (peer, wantsHeaders, _, _) in needing where !pushed.contains(peer) {
            if wantsHeaders {
                network.send(.headers(records.map(\.header)), to: peer)
            } else {
                network.send(.inv(records.map { InventoryItem(.block, hash: $0.hash) }), to: peer)
            }
        }
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
