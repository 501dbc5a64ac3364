import DilithionNet
import DilithionWire

/// How `getdata` reaches the block server: a handler behind the peer protocol's gate.
extension BlockServer {
    /// Registers the `getdata` handler behind `peers`' pre-handshake gate.
    func register(into handlers: inout MessageHandlers, peers: PeerProtocol) {
        handlers.register(Command.getdata, peers.established { [unowned self, unowned peers] context, message in
            if case .getdata(let items) = message { receivedGetdata(items, context, peers: peers) }
        })
    }

    /// `getdata`: block requests are queued here (store reads off the dispatcher thread); other
    /// kinds are ignored and counted, unknown kinds penalised.
    func receivedGetdata(_ items: [InventoryItem], _ context: any HandlerContext, peers: PeerProtocol) {
        var hashes = [Hash256]()
        for item in items {
            switch item.kind {
            case .block:
                hashes.append(item.hash)
            case .transaction, .filteredBlock, .compactBlock:
                peers.countIgnored("getdata-unsupported")
            case nil:
                peers.penalize(context, points: 10, reason: "bad-inv-type", detail: "inventory type \(item.type)")
            }
        }
        if !hashes.isEmpty { enqueue(hashes, for: context.peer) }
    }
}
