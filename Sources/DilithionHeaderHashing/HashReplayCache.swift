import DilithionWire

/// Header hashes that met their requirements, by the SHA3-256 of the header bytes: a replayed
/// header costs a lookup instead of a RandomX hash. Bounded: the oldest entry goes first.
///
/// Only verified hashes go in, so garbage cannot push honest headers out faster than honest
/// headers come in. A value type; the hashing service keeps it under its lock.
public struct HashReplayCache: Sendable {
    /// At most this many entries (about 100 bytes each).
    public let capacity: Int
    private var hashByKey: [Hash256: Hash256] = [:]
    /// Keys in insertion order, as a ring once full.
    private var order: [Hash256] = []
    private var oldest = 0

    public init(capacity: Int) {
        self.capacity = max(capacity, 0)
        hashByKey.reserveCapacity(min(self.capacity, 1 << 16))
    }

    public var count: Int { hashByKey.count }

    public func hash(forKey key: Hash256) -> Hash256? { hashByKey[key] }

    /// Remembers `hash` for `key`, evicting the oldest entry when full.
    public mutating func insert(key: Hash256, hash: Hash256) {
        guard capacity > 0, hashByKey[key] == nil else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            hashByKey[order[oldest]] = nil
            order[oldest] = key
            oldest = (oldest + 1) % capacity
        }
        hashByKey[key] = hash
    }
}
