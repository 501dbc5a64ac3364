import DilithionWire

/// Why the reactor closed a connection. The engine turns it into a disconnect reason
/// unless it had already chosen one (a local request).
public enum ConnectionFailure: Sendable, Equatable {
    /// The remote end closed the connection (read returned 0).
    case peerClosed
    /// `read` failed with this `errno` (e.g. `ECONNRESET`).
    case readFailed(Int32)
    /// `sendmsg` failed with this `errno` (e.g. `EPIPE`).
    case writeFailed(Int32)
    /// The outbound connect failed with this `errno` (e.g. `ECONNREFUSED`).
    case connectFailed(Int32)
    /// The decoder reported an error whose disposition is "disconnect the peer".
    case frame(FrameError)
    /// The engine asked for the close.
    case localRequest
}
