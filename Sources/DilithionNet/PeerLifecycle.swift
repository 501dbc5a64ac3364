/// Where a connection is in its life. Allowed transitions (anything else is a bug and traps):
///
/// ```
/// connecting ──► connected ──► closing ──► closed
///      │                          ▲
///      └──────────────────────────┘   (connect failed / timed out / cancelled)
/// ```
///
/// Inbound peers are created `connected`. `closing` is entered exactly once, together with the one
/// ``DisconnectReason``; `closed` means the socket and its events are gone.
public enum PeerLifecycle: String, Sendable, Hashable {
    /// Outbound connect in progress.
    case connecting
    /// Connected: messages flow both ways.
    case connected
    /// A disconnect was decided; the reactor is closing the socket.
    case closing
    /// The socket is closed and the peer left the table.
    case closed

    /// Whether `self → next` is one of the allowed transitions.
    public func canTransition(to next: PeerLifecycle) -> Bool {
        switch (self, next) {
        case (.connecting, .connected), (.connecting, .closing), (.connected, .closing), (.closing, .closed):
            return true
        default:
            return false
        }
    }
}
