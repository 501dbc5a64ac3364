import DilithionSystem

/// A peer lifecycle event for the dispatcher, queued in order with the peer's messages: a peer's
/// `connected` event is always handled before its first message.
enum DispatcherEvent {
    case connected(PeerID)
    case disconnected(PeerID, DisconnectReason)
    /// The decoder dropped frames of this peer (bad checksum); the count is taken when handled.
    case framesDropped(PeerID)
}
