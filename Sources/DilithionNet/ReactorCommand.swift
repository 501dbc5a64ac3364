import DilithionSystem

/// Work other threads hand to the reactor thread (through the engine lock and one wakeup).
enum ReactorCommand {
    /// Start the outbound connect of a peer in `connecting` state.
    case connect(PeerID, SocketAddress)
    /// The peer's outbox went from empty to non-empty: move it to the socket.
    case flush(PeerID)
    /// Close the peer (its reason is already recorded).
    case close(PeerID)
    /// The peer's inbox drained below the resume threshold.
    case resumeReading(PeerID)
    /// Shutdown step 1: close the listeners and pause reading everywhere.
    case beginDrain
    /// Shutdown step 2: close every connection with reason `shutdown`.
    case closeAll
}
