/// Every size, count and time of seed attestation in one place, each with the reason for its value.
///
/// Values are the C++ node's (`src/attestation/seed_attestation.h`, `src/dfmp/mik.h`,
/// `src/rpc/server.cpp`); a line says so where we are deliberately different.
public enum AttestationLimits {
    /// An ML-DSA-65 public key (FIPS 204: ρ 32 ‖ t1 6 × 320). Both MIK keys and seed keys.
    public static let publicKeyBytes = 1952
    /// An ML-DSA-65 signature (FIPS 204: c̃ 48 ‖ z 5 × 640 ‖ hint 55 + 6).
    public static let signatureBytes = 3309
    /// The pq-crystals expanded private key the C++ key file stores (ρ ‖ K ‖ tr ‖ s1 ‖ s2 ‖ t0).
    public static let expandedPrivateKeyBytes = 4032
    /// The FIPS 204 key-generation seed ξ, which is all swift-crypto keeps of a private key.
    public static let privateKeySeedBytes = 32
    /// The miner's DNA fingerprint hash (SHA3-256).
    public static let dnaHashBytes = 32
    /// The MIK identity: the first 20 bytes of SHA3-256(MIK public key).
    public static let mikIdentityBytes = 20

    /// Seed ids run 0..<4 on every chain that uses attestations (C++ `NUM_SEEDS`).
    public static let seedCount = 4
    /// A MIK registration needs this many valid attestations from distinct seeds (3-of-4).
    public static let minimumAttestations = 3
    /// An attestation counts only if the block's time is 0...3600 s after the attestation's
    /// (C++ `ATTESTATION_VALIDITY_WINDOW`).
    public static let validityWindowSeconds: Int64 = 3600
    /// One on-chain attestation: seed id 1 ‖ timestamp LE32 4 ‖ signature.
    public static let entryBytes = 1 + 4 + signatureBytes

    /// The domain tag that opens the signed preimage (C++ `ATTESTATION_DOMAIN`, no terminator).
    public static let domainTag: [UInt8] = Array("DILV_ATTEST".utf8)

    /// Default new MIKs per /24 per day (C++ `--attestation-rate-limit` default 1).
    public static let defaultNewMIKsPerSubnetPerDay = 1
    /// Accepted range of that option (the C++ node refuses values outside 1-100).
    public static let newMIKsPerSubnetPerDayRange = 1...100
    /// A MIK attested from a /24 stays "known" (re-attestation exempt from the daily limit) this many
    /// days after its last attestation (the C++ node drops older entries when it cleans up).
    public static let knownMIKRetentionDays: Int64 = 30
    /// Most /24 subnets whose state is kept. The C++ node prunes only once it holds 10 000 and keeps
    /// every subnet with a MIK younger than 30 days; we also cap the total, dropping the subnets
    /// idle longest, so a flood from many /24s cannot grow memory without bound.
    public static let maxTrackedSubnets = 100_000
    /// Most known MIKs kept per /24: with a limit of at most 100 new MIKs a day for 30 days no honest
    /// subnet comes near it.
    public static let maxKnownMIKsPerSubnet = 4096

    /// Largest `ip2asn-v4.tsv` line accepted; longer lines are counted and skipped (the real file's
    /// longest description is under 200 bytes).
    public static let maxASNLineBytes = 4096
    /// Largest ASN description kept and echoed back to a caller.
    public static let maxASNDescriptionBytes = 256
}
