import DilithionWire

/// The handlers the dispatcher calls, fixed when the ``Engine`` is created, i.e. before
/// either thread starts (the C++ node's BUG #138 registered handlers after its threads were running
/// and lost the first messages). Every handler runs on the dispatcher thread, one at a time.
public struct MessageHandlers: Sendable {
    /// Handles one message from `context.peer`.
    public typealias MessageHandler = @Sendable (any HandlerContext, Frame) -> Void

    private(set) var byCommand: [String: MessageHandler] = [:]

    /// Called once when a peer is connected, before any of its messages.
    public var onConnect: (@Sendable (any HandlerContext, PeerDirection) -> Void)?
    /// Called once when a peer left, with its one reason. Sends to it do nothing any more.
    public var onDisconnect: (@Sendable (PeerID, DisconnectReason) -> Void)?
    /// Called when a timer set with ``HandlerContext/scheduleTimer(after:tag:)`` comes due and the
    /// peer is still connected (handshake and ping deadlines of the peer-protocol layer).
    public var onTimer: (@Sendable (any HandlerContext, UInt64) -> Void)?
    /// Called when the decoder dropped frames of a connected peer (a bad checksum: the framing is
    /// intact, so the engine keeps the connection), with the last error and how many were dropped
    /// since the previous call. The peer layer decides the penalty.
    public var onFramesDropped: (@Sendable (any HandlerContext, FrameError, Int) -> Void)?
    /// Called for messages whose command has no handler; by default they are counted and dropped.
    public var onUnhandled: MessageHandler?

    /// An empty set of handlers.
    public init() {}

    /// Registers `handler` for `command`, replacing any previous one.
    public mutating func register(_ command: String, _ handler: @escaping MessageHandler) {
        byCommand[command] = handler
    }

    /// The handler the dispatcher calls for a message with `command`: its registered one, else
    /// ``onUnhandled``.
    public func handler(for command: String) -> MessageHandler? {
        byCommand[command] ?? onUnhandled
    }
}
