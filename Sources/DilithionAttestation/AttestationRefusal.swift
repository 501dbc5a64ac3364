/// Why a seed refused to attest. ``message`` is the C++ node's error text where it has one (miners
/// show it to their users); ``reason`` is the stable label counted in `/metrics`.
public enum AttestationRefusal: Error, Sendable, Equatable {
    /// `mik_pubkey` or `dna_hash` absent (or not a string).
    case missingParameter(String)
    /// `mik_pubkey` is not 1,952 bytes of hex.
    case badMIKPublicKey
    /// `dna_hash` is not 32 bytes of hex.
    case badDNAHash
    /// The caller's address is not IPv4: the ASN table is IPv4 only, so the datacenter check and
    /// the /24 limit cannot be applied (the C++ node fails open here; we fail closed).
    case notIPv4(String)
    /// The caller's address belongs to a datacenter ASN on a chain that refuses those.
    case datacenterAddress(ip: String, asn: UInt32, description: String)
    /// The caller's /24 already registered its new MIKs for today.
    case rateLimited(perDay: Int)
    /// The key failed to sign (never expected).
    case signingFailed

    /// The error message returned to the caller.
    public var message: String {
        switch self {
        case .missingParameter(let name): return "Missing required parameter: \(name)"
        case .badMIKPublicKey:
            return "Invalid mik_pubkey size: expected \(AttestationLimits.publicKeyBytes * 2) hex chars"
        case .badDNAHash: return "Invalid dna_hash size: expected \(AttestationLimits.dnaHashBytes * 2) hex chars"
        case .notIPv4(let address):
            return "Cannot determine client IP address: \(address) is not IPv4 (attestation is served to IPv4 callers only)"
        case let .datacenterAddress(ip, asn, description):
            return "Mining not available from datacenter/VPN IPs. Your IP (\(ip)) belongs to ASN \(asn) (\(description)). "
                + "Most VPN and proxy services route through datacenter infrastructure and will trigger this check. "
                + "To register your miner identity, temporarily disable your VPN, restart the node, and let it complete "
                + "MIK registration. This is a one-time step — after registration you can re-enable your VPN for all "
                + "subsequent mining. Your residential IP is only shared with the 4 seed nodes during registration and "
                + "is not stored on-chain."
        case .rateLimited(let perDay):
            return "Attestation rate limit exceeded. Maximum \(perDay) new MIK registration(s) per /24 subnet per day. "
                + "Try again tomorrow."
        case .signingFailed: return "Failed to sign attestation"
        }
    }

    /// The metrics label.
    public var reason: String {
        switch self {
        case .missingParameter: return "missing-parameter"
        case .badMIKPublicKey: return "bad-mik-pubkey"
        case .badDNAHash: return "bad-dna-hash"
        case .notIPv4: return "not-ipv4"
        case .datacenterAddress: return "datacenter"
        case .rateLimited: return "rate-limited"
        case .signingFailed: return "signing-failed"
        }
    }

    /// Every label, so `/metrics` lists each one from the start (at 0).
    public static let allReasons = [
        "missing-parameter", "bad-mik-pubkey", "bad-dna-hash", "not-ipv4", "datacenter", "rate-limited", "signing-failed",
    ]
}
