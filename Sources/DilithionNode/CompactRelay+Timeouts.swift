import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire

/// The one deadline of the compact-block relay: a `getblocktxn` that is not answered.
extension CompactRelay {
    /// Gives up every rebuild whose `getblocktxn` went unanswered for ``blockTransactionsTimeout``:
    /// the block is fetched whole with `getdata` from the peer that sent the compact block (counted
    /// as `getblocktxn-timeout`), unless it was stored meanwhile from another peer (counted as
    /// `getblocktxn-superseded`). A late `blocktxn` is then ignored as unrequested. Rides on the
    /// per-peer ticks: with nothing awaited it costs one dictionary check.
    func tick(now: EngineInstant) {
        let expired: [(PeerID, Hash256)] = lock.withLock {
            guard !awaitingTransactions.isEmpty else { return [] }
            var expired = [(PeerID, Hash256)]()
            for (peer, askedAt) in awaitingTransactions where now.duration(since: askedAt) >= Self.blockTransactionsTimeout {
                awaitingTransactions[peer] = nil
                if let pending = peers[peer]?.pending {
                    peers[peer]?.pending = nil
                    expired.append((peer, pending.blockHash))
                }
            }
            return expired
        }
        for (peer, hash) in expired {
            if chain.record(for: hash)?.status == .stored {
                count("getblocktxn-superseded")
                continue
            }
            count("getblocktxn-timeout")
            logger.debug("getblocktxn unanswered: fetching the block", metadata: ["peer": "\(peer.rawValue)", "hash": "\(hash)"])
            network.send(.getdata([InventoryItem(.block, hash: hash)]), to: peer)
        }
    }
}
