/// Identifies one connection for its whole life. Ids are never reused within a process, so a
/// stale id (a peer that already left) can never reach a new peer.
public struct PeerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number behind the id (also the reactor's connection id).
    public let rawValue: UInt64

    /// Wraps a raw id.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// `peer=N`, as in log metadata.
    public var description: String { "peer=\(rawValue)" }

    /// Orders by creation.
    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.rawValue < rhs.rawValue }
}
