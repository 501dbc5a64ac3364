/// Chooses which inbound peer to evict when the inbound slots are full, as a pure function.
///
/// Protected (never evicted): manually added peers, the 4 longest-connected, the 4 with the lowest
/// ping, and peers that delivered blocks recently. Of the rest, the one with the highest
/// misbehaviour score goes; ties go to the most recently connected (it has given the least).
public enum EvictionPolicy {
    public struct Candidate: Sendable, Equatable {
        public var id: UInt64
        public var connectedSeconds: Double
        public var pingSeconds: Double?
        public var isManual: Bool
        public var misbehaviour: Int
        public var deliveredBlocksRecently: Bool
        public init(id: UInt64, connectedSeconds: Double, pingSeconds: Double?, isManual: Bool,
                    misbehaviour: Int, deliveredBlocksRecently: Bool) {
            self.id = id
            self.connectedSeconds = connectedSeconds
            self.pingSeconds = pingSeconds
            self.isManual = isManual
            self.misbehaviour = misbehaviour
            self.deliveredBlocksRecently = deliveredBlocksRecently
        }
    }

    public static let protectedByAge = 4
    public static let protectedByPing = 4

    /// The id to evict, or nil when every candidate is protected.
    public static func select(_ candidates: [Candidate]) -> UInt64? {
        var pool = candidates.filter { !$0.isManual && !$0.deliveredBlocksRecently }
        let oldest = Set(pool.sorted { $0.connectedSeconds > $1.connectedSeconds }.prefix(protectedByAge).map(\.id))
        pool.removeAll { oldest.contains($0.id) }
        let fastest = Set(pool.filter { $0.pingSeconds != nil }
            .sorted { $0.pingSeconds! < $1.pingSeconds! }.prefix(protectedByPing).map(\.id))
        pool.removeAll { fastest.contains($0.id) }
        return pool.max { lhs, rhs in
            if lhs.misbehaviour != rhs.misbehaviour { return lhs.misbehaviour < rhs.misbehaviour }
            return lhs.connectedSeconds > rhs.connectedSeconds
        }?.id
    }
}
