import DilithionNet
import DilithionWire

/// How sync messages reach the coordinator: handlers in the engine's per-command table, each behind
/// the peer protocol's pre-handshake gate.
extension SyncCoordinator {
    /// Registers `sendheaders`, `getheaders`, `headers`, `inv` and `block` behind `gate`.
    func register(into handlers: inout MessageHandlers, through gate: MessageGate) {
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
        handlers.register(Command.block, gate { [unowned self] context, message in
            if case .block(let block) = message { receivedBlock(block, from: context.peer) }
        })
    }
}
