import DilithionNet

/// Blocks on the validation worker whose sender left.
///
/// The worker reports a finished validation by waking the dispatcher through its sender's peer
/// (``SyncNetwork/wakeDispatcher(for:)``: a zero-delay timer of that peer). Once the sender is
/// gone, that wake never comes; with no other peer nothing else drains the queue either, so the
/// block, and every block that arrived after it, would wait there indefinitely (the tip stuck
/// below them). Such blocks are dropped when their sender leaves: not staged, counted
/// (`block-sender-left`) and logged, and, since they are neither stored nor staged, asked of other
/// peers like any block not yet downloaded. Blocks of that peer already validated stay in the
/// queue and are staged in order.
extension BlockDownload {
    /// Removes `peer`'s arrivals whose validation is still on the worker; returns how many. Caller
    /// holds ``lock``. The worker still finishes them and writes into the dropped objects, which
    /// nothing reads any more.
    func dropUnvalidatedArrivalsLocked(from peer: PeerID) -> Int {
        let before = arrivals.count
        arrivals.removeAll { $0.peer == peer && $0.validation == nil }
        return before - arrivals.count
    }

    /// Counts and logs blocks dropped because their sender left before the worker validated them.
    func noteDroppedForDeparture(_ count: Int, peer: PeerID) {
        guard count > 0 else { return }
        for _ in 0..<count { network.countIgnored("block-sender-left") }
        logger.info(
            "dropped blocks still validating: their sender left (they are downloaded again)",
            metadata: ["peer": "\(peer.rawValue)", "blocks": "\(count)"])
    }
}
