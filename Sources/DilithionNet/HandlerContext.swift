import DilithionWire

/// What a handler sees: the peer's id and the operations it may perform. No sockets, no buffers.
public struct HandlerContext: Sendable {
    /// The peer the message or event belongs to.
    public let peer: PeerID
    let manager: ConnectionManager

    /// Queues a message to the current peer. Returns false if the peer is no longer connected.
    @discardableResult
    public func send(command: String, payload: [UInt8]) -> Bool {
        manager.send(command: command, payload: payload, to: peer)
    }

    /// Queues a message to any peer.
    @discardableResult
    public func send(command: String, payload: [UInt8], to other: PeerID) -> Bool {
        manager.send(command: command, payload: payload, to: other)
    }

    /// Queues a frame to any peer.
    @discardableResult
    public func send(_ frame: Frame, to other: PeerID) -> Bool {
        manager.send(command: frame.command, payload: frame.payload, to: other)
    }

    /// Disconnects the current peer with `reason`.
    public func disconnect(reason: DisconnectReason) {
        manager.disconnect(peer, reason: reason)
    }

    /// Disconnects any peer with `reason`.
    public func disconnect(_ other: PeerID, reason: DisconnectReason) {
        manager.disconnect(other, reason: reason)
    }

    /// Arranges for ``MessageHandlers/onTimer`` to be called with `tag` for this peer after `delay`
    /// of engine-clock time.
    public func scheduleTimer(after delay: Duration, tag: UInt64) {
        manager.scheduleTimer(for: peer, after: delay, tag: tag)
    }

    /// The engine clock's current instant.
    public var now: EngineInstant { manager.clock.now }

    /// A snapshot of the current peer's statistics.
    public var statistics: PeerStatistics? { manager.statistics(for: peer) }
}
