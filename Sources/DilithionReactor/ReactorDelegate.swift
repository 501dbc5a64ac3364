import DilithionSystem
import DilithionWire

/// What the reactor reports to the layer above (the engine). Every method is called on
/// the reactor thread; implementations must not block.
public protocol ReactorDelegate: AnyObject {
    /// Work was handed over with ``Reactor/wakeUp()``; one call per coalesced wakeup.
    func reactorDidWake(_ reactor: Reactor)

    /// ``Reactor/interrupt()`` was called (possibly from a signal handler).
    func reactorDidReceiveInterrupt(_ reactor: Reactor)

    /// A connection was accepted from `remote`. Return the id to give it, or nil to refuse it (the
    /// socket is closed at once).
    func reactor(_ reactor: Reactor, admitConnectionFrom remote: SocketAddress) -> UInt64?

    /// `accept` failed for lack of a resource (`failure`); the listener pauses for the back-off and
    /// retries. Called once per failed attempt, so a storm calls it many times: count, and log
    /// sparingly.
    func reactor(_ reactor: Reactor, acceptFailed failure: AcceptFailure)

    /// The connection admitted by the previous call is open and reading.
    func reactor(_ reactor: Reactor, didAccept connection: ReactorConnection)

    /// An outbound connection finished connecting and is reading.
    func connectionDidConnect(_ connection: ReactorConnection)

    /// One read produced `byteCount` bytes and the complete frames in `frames` (possibly none).
    /// Take the frames out of the array (it is reused). `hasPartialFrame` tells whether part of a
    /// frame is still buffered. Return false to stop reading this connection
    /// (``ReactorConnection/resumeReading()`` starts again).
    func connection(
        _ connection: ReactorConnection, didReceive frames: inout [Frame], byteCount: Int, hasPartialFrame: Bool
    ) -> Bool

    /// The decoder dropped one frame (an error whose disposition is "drop the message").
    func connection(_ connection: ReactorConnection, didDropFrame error: FrameError)

    /// `byteCount` queued bytes were written to the socket.
    func connection(_ connection: ReactorConnection, didWrite byteCount: Int)

    /// The connection is closed (socket and events freed); called exactly once per connection.
    func connection(_ connection: ReactorConnection, didClose failure: ConnectionFailure)
}
