import DilithionChain
import DilithionNet
import DilithionWire

/// How sync messages reach the coordinator: handlers in the engine's per-command table, each behind
/// the peer protocol's pre-handshake gate.
extension SyncCoordinator {
    /// Registers `sendheaders`, `getheaders`, `headers`, `inv` and `block` behind `gate`.
    func register(into handlers: inout MessageHandlers, through gate: @escaping MessageGate) {
        handlers.register(Command.sendheaders, gate { [unowned self] context, _ in peerWantsHeaders(context.peer) })
        handlers.register(Command.getheaders, gate { [unowned self] context, message in
            if case .getheaders(let request) = message { receivedGetHeaders(request, from: context.peer) }
        })
        handlers.register(Command.headers, gate { [unowned self] context, message in
            if case .headers(let headers) = message { receivedHeaders(headers, from: context.peer) }
        })
        handlers.register(Command.inv, gate { [unowned self] context, message in
            if case .inv(let items) = message { receivedInventory(items, from: context.peer) }
        })
        handlers.register(Command.block) { [unowned self] context, frame in
            // A block keeps the checksum its frame was verified against: the store serves it with that.
            let checksum = frame.verifiedChecksum.map { PayloadChecksum(checksum: $0, payloadCount: frame.payloadCount) }
            gate { [unowned self] context, message in
                if case .block(let block) = message { receivedBlock(block, from: context.peer, payloadChecksum: checksum) }
            }(context, frame)
        }
    }
}
