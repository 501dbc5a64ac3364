import DilithionReactor
import DilithionSystem
import DilithionWire

/// The engine's ``HandlerContext``: the dispatcher builds one per delivered message or event.
struct EngineContext: HandlerContext {
    /// The peer the message or event belongs to.
    let peer: PeerID
    let manager: Engine
    /// The peer's engine state when the dispatcher had it at hand, so that sends to the current
    /// peer need no table lookup. Only read under the engine lock.
    let state: PeerState?

    init(peer: PeerID, manager: Engine, state: PeerState? = nil) {
        self.peer = peer
        self.manager = manager
        self.state = state
    }

    /// Queues a message to the current peer. Returns false if the peer is no longer connected.
    @discardableResult
    func send(command: String, payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes { manager.enqueue(command: command, payload: $0, checksum: nil, to: peer, state: state) }
    }

    /// Queues a message to the current peer carrying `frame`'s payload under `command` (a `pong`
    /// answering a `ping` echoes its nonce). The checksum the decoder verified for `frame` is
    /// reused: the checksum depends on the payload bytes alone, so they are not hashed again.
    @discardableResult
    func send(command: String, payloadOf frame: Frame) -> Bool {
        frame.withUnsafePayload {
            manager.enqueue(command: command, payload: $0, checksum: frame.verifiedChecksum, to: peer, state: state)
        }
    }

    /// Queues a message to any peer.
    @discardableResult
    func send(command: String, payload: [UInt8], to other: PeerID) -> Bool {
        manager.send(command: command, payload: payload, to: other)
    }

    /// Queues a frame to any peer (a relayed frame keeps its verified checksum).
    @discardableResult
    func send(_ frame: Frame, to other: PeerID) -> Bool {
        manager.send(frame, to: other)
    }

    /// Disconnects the current peer with `reason`.
    func disconnect(reason: DisconnectReason) {
        manager.disconnect(peer, reason: reason)
    }

    /// Disconnects any peer with `reason`.
    func disconnect(_ other: PeerID, reason: DisconnectReason) {
        manager.disconnect(other, reason: reason)
    }

    /// Arranges for ``MessageHandlers/onTimer`` to be called with `tag` for this peer after `delay`
    /// of engine-clock time.
    func scheduleTimer(after delay: Duration, tag: UInt64) {
        manager.scheduleTimer(for: peer, after: delay, tag: tag)
    }

    /// The engine clock's current instant.
    var now: EngineInstant { manager.clock.now }

    /// The current peer's remote address (nil once it left the table).
    var remoteAddress: SocketAddress? {
        // Immutable in the peer's state, so it needs no lock when the state is at hand.
        state?.remoteAddress ?? manager.remoteAddress(of: peer)
    }

    /// A snapshot of the current peer's statistics.
    var statistics: PeerStatistics? { manager.statistics(for: peer) }
}
