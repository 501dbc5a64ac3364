/// Counters of a seed's attestation service since start, for `/metrics`.
public struct AttestationStatistics: Sendable, Equatable {
    /// Attestations signed for MIKs new to the caller's /24.
    public var grantedNew = 0
    /// Attestations signed for MIKs the caller's /24 had registered before.
    public var grantedRenewal = 0
    /// Refusals by ``AttestationRefusal/reason`` (every reason present, 0 when none).
    public var refusals: [String: Int] = Dictionary(uniqueKeysWithValues: AttestationRefusal.allReasons.map { ($0, 0) })
    /// /24 subnets the rate limiter holds state for.
    public var trackedSubnets = 0
    /// The seed id this node signs as.
    public var seedID: UInt8 = 0
    /// Ranges in the ASN table.
    public var asnRanges = 0
    /// ASNs in the datacenter list.
    public var datacenterASNs = 0

    /// Creates zeroed counters.
    public init() {}
}
