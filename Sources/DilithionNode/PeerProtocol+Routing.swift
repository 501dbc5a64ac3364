import DilithionNet
import DilithionWire
import Logging

/// The handler policy for messages that arrive before the handshake completes: everything but
/// `version`, `verack` and `reject` is ignored and counted (nothing is processed or answered);
/// more than ``preHandshakeLimit`` such messages disconnect the peer (`protocol-violation`).
let preHandshakeLimit = 100

/// A handler of one decoded message from a peer that completed its handshake.
typealias EstablishedHandler = @Sendable (any HandlerContext, Message) -> Void

/// Wraps an ``EstablishedHandler`` into a table handler behind the pre-handshake policy
/// (``PeerProtocol/established(_:)``); what the other components register through.
typealias MessageGate = @Sendable (@escaping EstablishedHandler) -> MessageHandlers.MessageHandler

/// How messages reach the peer protocol: its handlers in the engine's per-command table, and the
/// gate that enforces the pre-handshake policy for every component's post-handshake handlers.
extension PeerProtocol {
    /// Registers the connection events, timers, dropped frames, the handshake commands (handled
    /// before the handshake too), and behind ``established(_:)`` `ping`, `pong`, `sendcmpct`,
    /// `getaddr` and `addr` (the ``AddressExchange``'s) and the commands the node ignores by policy (``MessageHandlers/onUnhandled``).
    func register(into handlers: inout MessageHandlers) {
        handlers.onConnect = { [unowned self] context, direction in peerConnected(context, direction) }
        handlers.onDisconnect = { [unowned self] peer, reason in peerDisconnected(peer, reason) }
        handlers.onTimer = { [unowned self] context, tag in timerFired(context, tag) }
        // Bad checksums: the frame was dropped; each costs its points (50: the second one bans,
        // as FrameError documents). The C++ node closes at the first one.
        handlers.onFramesDropped = { [unowned self] context, error, count in
            penalize(context, points: error.misbehaviorPoints * count, reason: error.reasonCode,
                     detail: count == 1 ? error.description : "\(error) (and \(count - 1) more)")
        }

        handlers.register(Command.version) { [unowned self] context, frame in
            guard case .version(let version) = penalties.decode(frame, context) else { return }
            perform(sessions.with(context.peer) { $0.handshake.received(version: version) } ?? [], context)
        }
        handlers.register(Command.verack) { [unowned self] context, frame in
            guard case .verack = penalties.decode(frame, context) else { return }
            perform(sessions.with(context.peer) { $0.handshake.receivedVerackMessage() } ?? [], context)
        }
        handlers.register(Command.reject) { [unowned self] context, frame in
            guard case .reject(let reject) = penalties.decode(frame, context) else { return }
            logger.info("peer sent reject", metadata: [
                "peer": "\(context.peer.rawValue)", "command": "\(reject.rejectedCommandText)",
                "code": "\(reject.code)", "reason": "\(reject.reasonText)"])
        }

        let decodedPing = established { [unowned self] context, message in
            if case .ping(let nonce) = message { send(.pong(nonce: nonce), context) }
        }
        handlers.register(Command.ping) { [unowned self] context, frame in
            // The commonest message answers itself: the pong echoes the ping's payload (its nonce),
            // so it reuses the checksum the decoder verified and needs no Message value. A ping of
            // the wrong size takes the decoding path (and its penalty).
            guard Self.pingSizeWindow.contains(frame.payloadCount) else { return decodedPing(context, frame) }
            if admitsEstablished(context, frame) {
                context.send(command: Command.pong, payloadOf: frame)
            }
        }
        handlers.register(Command.pong, established { [unowned self] context, message in
            guard case .pong(let nonce) = message else { return }
            sessions.receivedPong(context.peer, nonce: nonce, now: context.now)
        })
        handlers.register(Command.sendcmpct, established { [unowned self] context, message in
            guard case .sendcmpct(let request) = message else { return }
            // High-bandwidth peers get new blocks pushed as `cmpctblock` (the compact relay); every
            // `sendcmpct` peer gets `headers` announcements otherwise (a low-bandwidth compact peer's).
            _ = sessions.with(context.peer) { $0.compactVersion = request.version }
            events?.peerSentSendCompact(request, from: context.peer)
            events?.peerWantsHeaders(context.peer)
        })
        exchange.register(into: &handlers, through: established)
        handlers.onUnhandled = established { [unowned self] _, message in
            switch message {
            case .dna(let command, _):
                countIgnored("dna:\(command)")
            case .unknown(let command, _):
                countIgnored(Command.sizeWindows[command] != nil ? "unhandled:\(command)" : "unknown-command")
            default:
                countIgnored("relay-only:\(message.command)")
            }
        }
    }

    /// The one gate in front of every post-handshake handler, whichever component registered it:
    /// decodes the frame (a malformed one costs its misbehaviour points), then admits it only from
    /// a peer that completed its handshake (``admitsEstablished(_:_:)``), then runs `body`.
    func established(_ body: @escaping EstablishedHandler) -> MessageHandlers.MessageHandler {
        { [unowned self] context, frame in
            guard let message = penalties.decode(frame, context), admitsEstablished(context, frame) else { return }
            body(context, message)
        }
    }

    /// The size window of `ping` (PROTOCOL.md §3.1), read once: the fast path checks it per ping.
    static let pingSizeWindow = Command.sizeWindows[Command.ping] ?? 8...8

    /// Whether the peer completed its handshake. Before that, the message is ignored and counted,
    /// and more than ``preHandshakeLimit`` ignored messages disconnect the peer.
    func admitsEstablished(_ context: any HandlerContext, _ frame: Frame) -> Bool {
        let (established, ignored) = sessions.notePreHandshakeMessage(context.peer)
        guard !established else { return true }
        if ignored > 0 { countIgnored("pre-handshake") }
        logger.debug("ignored before handshake", metadata: ["peer": "\(context.peer.rawValue)", "command": "\(frame.command)"])
        if ignored > preHandshakeLimit { context.disconnect(reason: .protocolViolation) }
        return false
    }
}
