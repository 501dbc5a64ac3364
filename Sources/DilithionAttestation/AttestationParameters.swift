import DilithionWire

/// A chain's seed attestation rules (the C++ node's chain parameters `seedAttestationPubkeys`,
/// `seedAttestationActivationHeight`, `attestationDatacenterBan`).
///
/// | | seed keys | registrations need attestations from | datacenter addresses |
/// |---|---|---|---|
/// | mainnet | the 4 mainnet keys | height 40 000 | attested |
/// | DilV | the same 4 keys | height 2 000 | refused |
/// | testnet | none | never | attested |
/// | regtest (ours) | from `--attest-seed-keys` | never (our regtest blocks carry no MIK) | refused (like DilV, so demos show it) |
public struct AttestationParameters: Sendable, Equatable {
    /// The chain.
    public let network: Network
    /// Seed public keys, index = seed id.
    public let seedPublicKeys: [[UInt8]]
    /// MIK registrations at or above this height need ``AttestationLimits/minimumAttestations``.
    public let activationHeight: Int
    /// Whether seeds refuse callers whose address belongs to a datacenter ASN.
    public let refusesDatacenterAddresses: Bool

    /// Creates parameters (tests; nodes use ``of(_:regtestSeedKeys:)``).
    public init(network: Network, seedPublicKeys: [[UInt8]], activationHeight: Int, refusesDatacenterAddresses: Bool) {
        self.network = network
        self.seedPublicKeys = seedPublicKeys
        self.activationHeight = activationHeight
        self.refusesDatacenterAddresses = refusesDatacenterAddresses
    }

    /// The parameters of `network`; `regtestSeedKeys` are used on regtest only.
    public static func of(_ network: Network, regtestSeedKeys: [[UInt8]] = []) -> AttestationParameters {
        switch network {
        case .mainnet:
            return AttestationParameters(network: network, seedPublicKeys: mainnetSeedKeys, activationHeight: 40_000,
                                         refusesDatacenterAddresses: false)
        case .dilv:
            return AttestationParameters(network: network, seedPublicKeys: mainnetSeedKeys, activationHeight: 2_000,
                                         refusesDatacenterAddresses: true)
        case .testnet:
            return AttestationParameters(network: network, seedPublicKeys: [], activationHeight: 999_999_999,
                                         refusesDatacenterAddresses: false)
        case .regtest:
            return AttestationParameters(network: network, seedPublicKeys: regtestSeedKeys, activationHeight: 999_999_999,
                                         refusesDatacenterAddresses: true)
        }
    }

    /// The seed id of `publicKey`, nil when it is not one of this chain's seed keys.
    public func seedID(of publicKey: [UInt8]) -> UInt8? {
        seedPublicKeys.firstIndex(of: publicKey).map { UInt8($0) }
    }

    /// The seed id of a signing key, or the error a node reports when it is not a seed key.
    public func requireSeedID(of publicKey: [UInt8]) throws(AttestationSetupError) -> UInt8 {
        guard !seedPublicKeys.isEmpty else { throw .notUsedOnNetwork(network.rawValue) }
        guard let id = seedID(of: publicKey) else {
            throw .notASeedKey(network: network.rawValue, publicKeyPrefix: HexCoding.encode(publicKey.prefix(8)),
                               seedCount: seedPublicKeys.count)
        }
        return id
    }

    /// The mainnet/DilV keys, decoded once.
    static let mainnetSeedKeys: [[UInt8]] = MainnetSeedKeys.hex.map { text in
        guard let bytes = HexCoding.decode(text), bytes.count == AttestationLimits.publicKeyBytes else {
            preconditionFailure("MainnetSeedKeys holds a key that is not 1952 bytes of hex")
        }
        return bytes
    }

    /// Reads a regtest seed key list: one hex public key per line (seed id = line order among the
    /// non-blank, non-`#` lines), at most ``AttestationLimits/seedCount``.
    public static func loadSeedKeyList(path: String) throws(AttestationSetupError) -> [[UInt8]] {
        let text = String(decoding: try DataFile.read(path: path, what: "seed key list"), as: UTF8.self)
        var keys: [[UInt8]] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let hex = line.filter { !$0.isWhitespace }
            if hex.isEmpty { continue }
            guard let key = HexCoding.decode(hex), key.count == AttestationLimits.publicKeyBytes else {
                throw .badSeedKeyList(path: path, line: index + 1,
                                      reason: "expected \(AttestationLimits.publicKeyBytes * 2) hex digits (an ML-DSA-65 public key)")
            }
            guard keys.count < AttestationLimits.seedCount else {
                throw .badSeedKeyList(path: path, line: index + 1, reason: "more than \(AttestationLimits.seedCount) seed keys")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw .badSeedKeyList(path: path, line: 1, reason: "no seed key") }
        return keys
    }
}
