import DilithionSystem
import DilithionWire

/// What a handler sees: the peer's id and the operations it may perform. No sockets, no buffers.
///
/// The engine passes its own implementation; a unit test passes a fake that records what a
/// handler sent, disconnected and scheduled, so handlers run without sockets or threads.
public protocol HandlerContext: Sendable {
    /// The peer the message or event belongs to.
    var peer: PeerID { get }

    /// Queues a message to the current peer. Returns false if the peer is no longer connected.
    @discardableResult
    func send(command: String, payload: [UInt8]) -> Bool

    /// Queues a message to the current peer carrying `frame`'s payload under `command` (a `pong`
    /// answering a `ping` echoes its nonce), reusing the checksum the decoder verified for `frame`.
    @discardableResult
    func send(command: String, payloadOf frame: Frame) -> Bool

    /// Queues a message to any peer.
    @discardableResult
    func send(command: String, payload: [UInt8], to other: PeerID) -> Bool

    /// Queues a frame to any peer (a relayed frame keeps its verified checksum).
    @discardableResult
    func send(_ frame: Frame, to other: PeerID) -> Bool

    /// Disconnects the current peer with `reason`.
    func disconnect(reason: DisconnectReason)

    /// Disconnects any peer with `reason`.
    func disconnect(_ other: PeerID, reason: DisconnectReason)

    /// Arranges for ``MessageHandlers/onTimer`` to be called with `tag` for this peer after `delay`
    /// of engine-clock time.
    func scheduleTimer(after delay: Duration, tag: UInt64)

    /// The engine clock's current instant.
    var now: EngineInstant { get }

    /// The current peer's remote address (nil once it left the table).
    var remoteAddress: SocketAddress? { get }

    /// A snapshot of the current peer's statistics.
    var statistics: PeerStatistics? { get }
}
