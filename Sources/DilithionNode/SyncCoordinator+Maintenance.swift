import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire

/// Node-wide maintenance on the engine clock: stalls, the headers-sync peer (``HeadersSync``), branch
/// pruning and the withheld-branch policy (``SideBranchPruner``).
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
        pruner.pruneIfDue(now: now)
        // A batch whose blocks in flight do not come is committed after the policy's delay.
        blocksProcessed(downloads.drain())
        requestWork()
    }
}
