import DilithionWire

/// Header checks a relay can make, as pure functions (no clock, no state).
public enum HeaderValidation {
    /// How many previous timestamps the median-time-past rule looks at.
    public static let medianTimeSpan = 11

    /// The block hash by version: SHA3-256 of the 144 bytes for v ≥ 4, RandomX of the 80 bytes
    /// (through `legacyHasher`) below.
    public static func hash(
        _ header: BlockHeader, legacyHasher: (any LegacyHeaderHasher)?
    ) throws(ChainRejection) -> Hash256 {
        do {
            return try header.hash(legacyHasher: legacyHasher)
        } catch {
            throw .legacyHasherUnavailable
        }
    }

    /// `hash < target(nBits)` for legacy headers. VDF headers prove their work with the VDF proof
    /// instead (PROTOCOL.md §4.3), so only their `nBits` must decode to a usable target.
    public static func checkProofOfWork(_ header: BlockHeader, hash: Hash256) throws(ChainRejection) {
        guard CompactTarget(bits: header.bits).target != nil else { throw .invalidTarget(bits: header.bits) }
        if !header.isVDF, !header.meetsTarget(hash: hash) { throw .highHash }
    }

    /// The median of up to 11 previous timestamps (`previousTimes` in any order).
    public static func medianTimePast(_ previousTimes: [UInt32]) -> UInt32 {
        guard !previousTimes.isEmpty else { return 0 }
        let sorted = previousTimes.sorted()
        return sorted[sorted.count / 2]
    }

    /// The time must be strictly later than `medianTimePast` and at most `maxFutureSeconds` ahead of `now`.
    public static func checkTimestamp(
        _ header: BlockHeader, medianTimePast: UInt32, now: Int64, maxFutureSeconds: Int64
    ) throws(ChainRejection) {
        let limit = now + maxFutureSeconds
        if Int64(header.time) > limit { throw .timeTooNew(time: header.time, limit: limit) }
        if header.time <= medianTimePast { throw .timeTooOld(time: header.time, medianTimePast: medianTimePast) }
    }
}
