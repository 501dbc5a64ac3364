import DilithionWire

/// The handlers the dispatcher calls, fixed when the ``ConnectionManager`` is created, i.e. before
/// either thread starts (the C++ node's BUG #138 registered handlers after its threads were running
/// and lost the first messages). Every handler runs on the dispatcher thread, one at a time.
public struct MessageHandlers: Sendable {
    /// Handles one message from `context.peer`.
    public typealias MessageHandler = @Sendable (HandlerContext, Frame) -> Void

    private(set) var byCommand: [String: MessageHandler] = [:]

    /// Called once when a peer is connected, before any of its messages.
    public var onConnect: (@Sendable (HandlerContext, PeerDirection) -> Void)?
    /// Called once when a peer left, with its one reason. Sends to it do nothing any more.
    public var onDisconnect: (@Sendable (PeerID, DisconnectReason) -> Void)?
    /// Called when a timer set with ``HandlerContext/scheduleTimer(after:tag:)`` comes due and the
    /// peer is still connected (handshake and ping deadlines of the peer-protocol layer).
    public var onTimer: (@Sendable (HandlerContext, UInt64) -> Void)?
    /// Called when the decoder dropped frames of a connected peer (a bad checksum: the framing is
    /// intact, so the engine keeps the connection), with the last error and how many were dropped
    /// since the previous call. The peer layer decides the penalty.
    public var onFramesDropped: (@Sendable (HandlerContext, FrameError, Int) -> Void)?
    /// Called for messages whose command has no handler; by default they are counted and dropped.
    public var onUnhandled: MessageHandler?

    /// An empty set of handlers.
    public init() {}

    /// Registers `handler` for `command`, replacing any previous one.
    public mutating func register(_ command: String, _ handler: @escaping MessageHandler) {
        byCommand[command] = handler
    }

    func handler(for command: String) -> MessageHandler? {
        byCommand[command] ?? onUnhandled
    }
}
