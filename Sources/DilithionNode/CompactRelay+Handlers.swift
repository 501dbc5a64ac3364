import DilithionNet
import DilithionWire

/// How compact-block messages reach the relay: handlers in the engine's per-command table, each
/// behind the peer protocol's pre-handshake gate.
extension CompactRelay {
    /// Registers `cmpctblock`, `getblocktxn` and `blocktxn` behind `gate`.
    func register(into handlers: inout MessageHandlers, through gate: MessageGate) {
        handlers.register(Command.cmpctblock, gate { [unowned self] context, message in
            if case .cmpctblock(let compact) = message { receivedCompactBlock(compact, from: context.peer) }
        })
        handlers.register(Command.getblocktxn, gate { [unowned self] context, message in
            if case .getblocktxn(let request) = message { receivedGetBlockTransactions(request, from: context.peer) }
        })
        handlers.register(Command.blocktxn, gate { [unowned self] context, message in
            if case .blocktxn(let response) = message { receivedBlockTransactions(response, from: context.peer) }
        })
    }
}
