import DilithionSystem

/// One entry of the dispatcher's deadline queue. Entries are never cancelled: when one comes due the
/// dispatcher checks whether its condition still holds (lazy deletion).
struct Deadline {
    enum Kind {
        /// The outbound connect must have finished.
        case connect(PeerID)
        /// The partial frame first seen at `since` must have completed.
        case partialFrame(PeerID, since: EngineInstant)
        /// The outbox over the cap since `since` must have drained.
        case sendCap(PeerID, since: EngineInstant)
        /// A timer of the peer-protocol layer.
        case timer(PeerID, tag: UInt64)
    }

    let instant: EngineInstant
    /// Breaks ties in scheduling order.
    let sequence: UInt64
    let kind: Kind

    func precedes(_ other: Deadline) -> Bool {
        instant != other.instant ? instant < other.instant : sequence < other.sequence
    }
}
