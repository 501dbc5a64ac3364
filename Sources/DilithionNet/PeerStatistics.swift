import DilithionSystem

/// A consistent snapshot of one peer's state and counters (taken under the engine lock).
public struct PeerStatistics: Sendable {
    /// The peer.
    public var peer: PeerID
    /// Inbound or outbound.
    public var direction: PeerDirection
    /// The remote address.
    public var remoteAddress: SocketAddress
    /// Lifecycle state.
    public var lifecycle: PeerLifecycle
    /// When the connection was established (nil while connecting).
    public var connectedAt: EngineInstant?
    /// Time connected so far.
    public var connectedFor: Duration
    /// Last time bytes were read from the peer.
    public var lastReceive: EngineInstant?
    /// Last time bytes were written to the peer.
    public var lastSend: EngineInstant?
    /// Bytes read from the socket.
    public var bytesReceived: Int
    /// Bytes written to the socket.
    public var bytesSent: Int
    /// Complete frames received, per command.
    public var received: [String: CommandStatistics]
    /// Frames queued for sending, per command.
    public var sent: [String: CommandStatistics]
    /// Frames dropped by the decoder (bad checksum).
    public var droppedFrames: Int
    /// Frames waiting for the dispatcher.
    public var inboxMessages: Int
    /// Wire bytes waiting for the dispatcher.
    public var inboxBytes: Int
    /// Bytes queued for the socket and not yet written.
    public var outboxBytes: Int
    /// Reading is paused because the inbox is over the receive cap.
    public var isReadPaused: Bool
    /// Requests are not served because the outbox is over the send cap.
    public var isSendPaused: Bool
    /// Times reading was paused by the receive cap.
    public var readPauses: Int
    /// Times the outbox went over the send cap.
    public var sendPauses: Int
    /// Largest inbox seen, in bytes.
    public var peakInboxBytes: Int
    /// Largest outbox seen, in bytes.
    public var peakOutboxBytes: Int
}
