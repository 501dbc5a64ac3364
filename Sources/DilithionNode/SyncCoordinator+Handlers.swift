import DilithionChain
import DilithionNet
import DilithionWire

/// How sync messages reach the components: handlers in the engine's per-command table, each behind
/// the peer protocol's pre-handshake gate; and the entry points the compact-block relay and the
/// regtest miner share with them.
extension SyncCoordinator {
    /// Registers `sendheaders`, `getheaders`, `headers`, `inv` and `block` behind `gate`.
    func register(into handlers: inout MessageHandlers, through gate: @escaping MessageGate) {
        handlers.register(Command.sendheaders, gate { [unowned self] context, _ in peerWantsHeaders(context.peer) })
        handlers.register(Command.getheaders, gate { [unowned self] context, message in
            if case .getheaders(let request) = message { headers.receivedGetHeaders(request, from: context.peer) }
        })
        handlers.register(Command.headers, gate { [unowned self] context, message in
            if case .headers(let list) = message { headers.receivedHeaders(list, from: context.peer) }
        })
        handlers.register(Command.inv, gate { [unowned self] context, message in
            if case .inv(let items) = message { headers.receivedInventory(items, from: context.peer) }
        })
        handlers.register(Command.block) { [unowned self] context, frame in
            // A block keeps the checksum its frame was verified against, and the verified payload
            // itself (a large frame's own array: no copy): the store writes those bytes as they came
            // and serves them with that checksum.
            let checksum = frame.verifiedChecksum.map { PayloadChecksum(checksum: $0, payload: frame.payload) }
            gate { [unowned self] context, message in
                if case .block(let block) = message { receivedBlock(block, from: context.peer, payloadChecksum: checksum) }
            }(context, frame)
        }
    }

    /// A peer's `headers` (``HeadersSync/receivedHeaders(_:from:)``); also the header of a `cmpctblock`.
    func receivedHeaders(_ list: [BlockHeader], from peer: PeerID) { headers.receivedHeaders(list, from: peer) }

    /// The part of `list` the sender's headers budget lets us process (``HeadersSync/withinBudget(_:from:)``).
    func withinBudget(_ list: [BlockHeader], from peer: PeerID) -> ArraySlice<BlockHeader> {
        headers.withinBudget(list, from: peer)
    }

    /// Remembers that `peer` has `record` (``SyncPeers/noteAnnounced(_:by:in:)``).
    func noteAnnounced(_ record: HeaderRecord, by peer: PeerID) { peers.noteAnnounced(record, by: peer, in: chain) }

    /// Announces the active tip if it moved (``TipAnnouncer/announceTipIfMoved(except:block:)``).
    func announceTipIfMoved(except source: PeerID?, block: BlockMessage? = nil) {
        announcer.announceTipIfMoved(except: source, block: block)
    }
}
