import DilithionChain
import DilithionNet
import DilithionWire

/// Node-wide maintenance on the engine clock: stalls, the headers-sync peer (``HeadersSync/maintain(now:)``),
/// branch pruning and the withheld-branch policy (``WithheldBranchStrikes``).
extension SyncCoordinator {
    /// Runs the maintenance unless it ran less than ``SyncSettings/maintenanceInterval`` ago. It rides
    /// on the per-peer ticks, so it runs once per interval however many peers tick (per peer it made
    /// 10,000 idle peers quadratic).
    func tick(now: EngineInstant) {
        let due: Bool = lock.withLock {
            if let last = lastMaintenance, now.duration(since: last) < settings.maintenanceInterval { return false }
            lastMaintenance = now
            return true
        }
        if due { maintain(now: now) }
    }

    /// Disconnects stallers (their blocks go back to the pool and are asked of others), replaces a
    /// silent headers-sync peer, restarts headers sync when nobody holds it, prunes side branches
    /// when due, and hands out work.
    func maintain(now: EngineInstant) {
        let stalled = downloads.stalledPeers(now: now)
        for peer in stalled {
            logger.info("stall: disconnecting peer", metadata: ["peer": "\(peer.rawValue)"])
            network.disconnect(peer, reason: .stalling)
        }
        headers.maintain(now: now)
        let pruneDue: Bool = lock.withLock {
            if let last = lastPrune, now.duration(since: last) < settings.pruneInterval { return false }
            lastPrune = now
            return true
        }
        if pruneDue { pruneSideBranches() }
        // A batch whose blocks in flight do not come is committed after the policy's delay.
        blocksProcessed(downloads.drain())
        requestWork()
    }

    /// Prunes expired and stale side branches and applies the withheld-branch policy to the peers
    /// (connected or departed) whose last header went with an expired branch that had more work
    /// than the active tip.
    func pruneSideBranches() {
        let wallNow = wallTime()
        let claimed = peers.read { Set($0.values.compactMap(\.knownHash)) }
        let watched = claimed.union(lock.withLock { departedClaims.hashes })
        let report = chain.pruneSideBranches(now: wallNow, watching: watched)
        guard report.removedHeaders > 0 else {
            let cutoff = wallNow - 2 * chain.configuration.unbackedBranchLifetimeSeconds
            lock.withLock { _ = departedClaims.settle(withheld: [], forgettingBefore: cutoff) }
            return
        }
        logger.info("side branches pruned", metadata: [
            "headers": "\(report.removedHeaders)", "expired": "\(report.expiredBranches)", "stale": "\(report.staleBranches)",
            "withheld": "\(report.withheld.count)", "best_header": "\(chain.bestHeader.height)", "tip": "\(chain.tip.height)"])
        guard !report.withheld.isEmpty else { return }
        let cutoff = wallNow - 2 * chain.configuration.unbackedBranchLifetimeSeconds
        let connected: [(PeerID, String)] = peers.update { peers in
            let connected = peers.values.filter { $0.knownHash.map(report.withheld.contains) ?? false }.map { ($0.id, $0.host) }
            for (peer, _) in connected { peers[peer]?.knownHash = nil }
            return connected
        }
        let departed = lock.withLock { departedClaims.settle(withheld: report.withheld, forgettingBefore: cutoff) }
        for (peer, host) in connected { strike(host: host, peer: peer, now: wallNow) }
        for (peer, host) in departed { strike(host: host, peer: peer, now: wallNow) }
    }

    /// One withheld-branch strike (``WithheldBranchStrikes``): points for the peer (they matter only
    /// while it is connected; the penalty is counted and logged either way), a ban at the second
    /// strike of an address within the window.
    private func strike(host: String, peer: PeerID, now: Int64) {
        let count = lock.withLock { strikes.record(host: host, at: now, window: settings.withheldStrikeWindowSeconds) }
        let detail = "announced a branch whose blocks nobody delivered (strike \(count) of \(host))"
        network.penalize(peer, points: settings.withheldBranchPoints, reason: "withheld-branch", detail: detail)
        if count >= settings.withheldStrikesToBan { network.ban(host: host, reason: "withheld-branch") }
    }
}
