/// A signed attestation and what the seed saw, as `getmikattestation` returns it (the C++ node adds
/// the last four fields to its reply; miners read only the first three).
public struct AttestationGrant: Sendable, Equatable {
    /// Seed id, timestamp and signature.
    public let attestation: Attestation
    /// The MIK identity (20 bytes) in hex.
    public let mikIdentityHex: String
    /// The caller's IPv4 address.
    public let clientIP: String
    /// The caller's ASN (0 when no range holds the address).
    public let asn: UInt32
    /// The ASN's description (empty when unknown).
    public let asnDescription: String
    /// Whether the MIK was new for the caller's /24 (false: a renewal).
    public let isNewMIK: Bool
}
