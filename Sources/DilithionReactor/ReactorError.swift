import DilithionSystem

/// Why the reactor could not start or could not set up a socket.
public enum ReactorError: Error, Sendable, Equatable {
    /// `event_base_new` failed.
    case eventBaseUnavailable
    /// A libevent event could not be created or added.
    case eventSetupFailed(String)
    /// `socket()` failed with this `errno`.
    case socketFailed(address: SocketAddress, errno: Int32)
    /// `bind()` failed with this `errno` (often `EADDRINUSE`).
    case bindFailed(address: SocketAddress, errno: Int32)
    /// `listen()` failed with this `errno`.
    case listenFailed(address: SocketAddress, errno: Int32)
    /// The interrupt pipe could not be created.
    case pipeFailed(errno: Int32)
}
