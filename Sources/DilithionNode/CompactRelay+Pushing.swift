import DilithionChain
import DilithionNet
import DilithionWire

/// New tips out: `cmpctblock` pushes, and the promotion of the peer that delivered the tip first.
extension CompactRelay {
    func pushNewTip(_ record: HeaderRecord, block: BlockMessage?, to candidates: [PeerID], deliveredBy source: PeerID?) -> Set<PeerID> {
        if let source { promote(source) }
        // Our own block goes to every peer of ours: the miner's direct neighbours on long links
        // would otherwise get it by `headers` (a round trip more) or by a detour, as with random
        // miners a far neighbour is rarely among the peers that were first with recent blocks.
        let ownBlock = source == nil
        let targets: [(PeerID, Bool)] = lock.withLock {
            candidates.compactMap { peer in
                peers[peer].flatMap { $0.wantsPush || (ownBlock && $0.prefillsEverything) ? (peer, $0.prefillsEverything) : nil }
            }
        }
        guard !targets.isEmpty else { return [] }
        let atHand = block.flatMap { $0.header == record.header ? try? Block(message: $0) : nil }
        guard let block = atHand ?? storedBlock(record.hash) else {
            network.countIgnored("cmpctblock-push-unreadable")
            return []
        }
        // One message per prefill kind; the short-id nonce is drawn per block (a fixed one would let
        // an attacker grind colliding transactions).
        var built: [Bool: CompactBlockMessage] = [:]
        var pushed = Set<PeerID>()
        for (peer, everything) in targets {
            let compact = built[everything] ?? CompactBlockBuilder.compactBlock(
                for: block, nonce: UInt64.random(in: 0...UInt64.max), prefill: everything ? .everything : .coinbase)
            built[everything] = compact
            network.send(.cmpctblock(compact), to: peer)
            pushed.insert(peer)
        }
        lock.withLock {
            counts[ownBlock ? "pushed-own" : "pushed", default: 0] += pushed.count
        }
        logger.debug("pushed", metadata: ["hash": "\(record.hash)", "height": "\(record.height)", "peers": "\(pushed.count)"])
        return pushed
    }
}
