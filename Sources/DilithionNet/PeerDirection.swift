/// Who opened the connection.
public enum PeerDirection: String, Sendable, Hashable {
    /// The remote peer connected to one of our listeners.
    case inbound
    /// We dialled the remote peer.
    case outbound
}
