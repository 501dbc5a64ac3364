import DilithionChain
import DilithionNet
import DilithionWire

/// `cmpctblock`, `getblocktxn` and `blocktxn` from peers.
extension CompactRelay {
    /// A peer's `cmpctblock`: header first, then the rebuild (see ``CompactRelay`` for the policy).
    func receivedCompactBlock(_ compact: CompactBlockMessage, from peer: PeerID) {
        count("received")
        let header = compact.header
        let hash: Hash256
        do {
            hash = try header.hash(legacyHasher: chain.configuration.legacyHasher)
        } catch {
            network.countIgnored("legacy-hasher-unavailable")
            return
        }
        if let known = chain.record(for: hash), known.status != .headerOnly {
            network.countIgnored(known.status == .stored ? "cmpctblock-known" : "cmpctblock-known-invalid")
            return
        }
        guard let parent = chain.record(for: header.previousBlockHash) else {
            // Like `headers` whose first one does not connect: `getheaders`, points only past the limit.
            sync.receivedHeaders([header], from: peer)
            return
        }
        guard let tip = chain.record(for: chain.tip.hash),
            tip.chainWork < parent.chainWork + CompactTarget(bits: header.bits).blockWork
        else {
            network.countIgnored("cmpctblock-not-more-work")
            return
        }
        // A compact block's header costs what a one-header `headers` message costs (free headers
        // cannot buy our CPU this way either).
        guard !sync.withinBudget([header], from: peer).isEmpty else { return }
        let headerResult = chain.acceptHeaders([header], now: wallTime())
        if let rejection = headerResult.rejection {
            if case .tooFarAheadOfTip = rejection {
                network.countIgnored("headers-ahead-of-blocks")
            } else {
                network.penalize(peer, points: rejection.misbehaviourPoints, reason: rejection.reasonCode, detail: rejection.description)
            }
            return
        }
        logger.debug("cmpctblock", metadata: ["hash": "\(hash)", "peer": "\(peer.rawValue)"])
        let rebuild: CompactBlockReconstruction
        do {
            rebuild = try CompactBlockReconstruction(compact, blockHash: hash)
        } catch {
            failed(error, hash: hash, from: peer)
            return
        }
        if rebuild.isComplete {
            if let record = chain.record(for: hash) { sync.noteAnnounced(record, by: peer) }
            deliver(rebuild, from: peer, counter: "rebuilt-at-once")
            return
        }
        // The sender is not yet noted as having the block: the coordinator would otherwise ask it
        // for the whole block on its next round while `blocktxn` is on its way (both would come).
        // It learns that the sender has it when the block is stored; until then the deadline
        // (`tick`) is what fetches it whole from the sender.
        let now = sync.clock.now
        lock.withLock {
            peers[peer]?.pending = rebuild
            awaitingTransactions[peer] = now
            counts["getblocktxn-sent", default: 0] += 1
        }
        network.send(.getblocktxn(rebuild.request), to: peer)
    }

    /// A peer's `blocktxn`: completes the compact block it sent last, if that is the one named.
    func receivedBlockTransactions(_ response: BlockTransactionsMessage, from peer: PeerID) {
        let pending: CompactBlockReconstruction? = lock.withLock {
            guard let pending = peers[peer]?.pending, pending.blockHash == response.blockHash else { return nil }
            peers[peer]?.pending = nil
            awaitingTransactions[peer] = nil
            return pending
        }
        guard var rebuild = pending else {
            network.countIgnored("blocktxn-unrequested")
            return
        }
        do {
            let block = try rebuild.fill(response)
            count("completed-by-blocktxn")
            sync.receivedBlock(block.message, from: peer)
        } catch {
            failed(error, hash: response.blockHash, from: peer)
        }
    }

    /// A peer's `getblocktxn`: answered with `blocktxn` for an active-chain block near the tip.
    func receivedGetBlockTransactions(_ request: GetBlockTransactionsMessage, from peer: PeerID) {
        guard let record = chain.record(for: request.blockHash), chain.isOnActiveChain(request.blockHash),
            record.height + Self.maxBlockTransactionsDepth >= chain.tip.height,
            let block = storedBlock(request.blockHash)
        else {
            network.countIgnored("getblocktxn-not-served")
            return
        }
        do {
            let response = try CompactBlockBuilder.transactions(of: block, answering: request)
            count("blocktxn-served")
            network.send(.blocktxn(response), to: peer)
        } catch {
            failed(error, hash: request.blockHash, from: peer)
        }
    }

    /// Hands a complete rebuild to the coordinator, or fetches the full block when its merkle root
    /// does not match.
    private func deliver(_ rebuild: CompactBlockReconstruction, from peer: PeerID, counter: String) {
        do {
            let block = try rebuild.block()
            count(counter)
            sync.receivedBlock(block.message, from: peer)
        } catch {
            failed(error, hash: rebuild.blockHash, from: peer)
        }
    }

    /// Applies the written policy to a compact-block failure: the full block by `getdata` for an
    /// honest mistake, points for a message no honest sender builds.
    private func failed(_ error: CompactBlockError, hash: Hash256, from peer: PeerID) {
        switch error.disposition {
        case .requestFullBlock:
            count("fallback-getdata")
            network.countIgnored(error.reasonCode)
            logger.debug("compact block not rebuilt: fetching the block", metadata: [
                "peer": "\(peer.rawValue)", "hash": "\(hash)", "reason": "\(error.reasonCode)"])
            network.send(.getdata([InventoryItem(.block, hash: hash)]), to: peer)
        case .misbehaving(let points):
            network.penalize(peer, points: points, reason: error.reasonCode, detail: error.description)
        }
    }
}
