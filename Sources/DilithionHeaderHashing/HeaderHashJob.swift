import DilithionWire

/// One legacy header to hash.
public struct HeaderHashJob: Sendable {
    /// The 80 header bytes.
    public let bytes: [UInt8]
    /// SHA3-256 of ``bytes``: the replay cache's key, so that a header hashed before costs a lookup.
    public let cacheKey: Hash256
    /// The hash when already known (a replay-cache hit when the batch was made); no RandomX then.
    public let knownHash: Hash256?
    /// What the hash must satisfy.
    public let requirement: HashRequirement

    /// A job for `header`; its cache key is computed here (SHA3-256 of the 80 bytes, about a microsecond).
    public init(header: BlockHeader, knownHash: Hash256? = nil, requirement: HashRequirement) {
        let bytes = header.serialized
        self.init(bytes: bytes, cacheKey: SHA3.hash(bytes), knownHash: knownHash, requirement: requirement)
    }

    /// A job for header bytes whose cache key the caller already has.
    public init(bytes: [UInt8], cacheKey: Hash256, knownHash: Hash256? = nil, requirement: HashRequirement) {
        self.bytes = bytes
        self.cacheKey = cacheKey
        self.knownHash = knownHash
        self.requirement = requirement
    }

    /// The `previousBlockHash` field (bytes 4–35), for ``HashRequirement/extendsPreviousJob``.
    var previousBlockHash: Hash256 { Hash256(internalBytes: bytes[4..<36]) }
}
