/// Why a node cannot serve seed attestations with the configuration it was given. Each is one line
/// for the operator, printed at start-up before anything listens.
public enum AttestationSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A data file cannot be read.
    case cannotRead(what: String, path: String, reason: String)
    /// The key is not one of the chain's seed keys (the C++ node answers every call with "only
    /// available on seed nodes" then; we refuse to start the endpoint instead).
    case notASeedKey(network: String, publicKeyPrefix: String, seedCount: Int)
    /// The chain has no seed attestation (testnet).
    case notUsedOnNetwork(String)
    /// The regtest seed key list is malformed.
    case badSeedKeyList(path: String, line: Int, reason: String)
    /// The chain bans datacenter addresses but the datacenter list is empty.
    case emptyDatacenterList(path: String)
    /// The ASN table holds no range.
    case emptyASNDatabase(path: String)

    public var description: String {
        switch self {
        case let .cannotRead(what, path, reason): return "cannot read the \(what) \(path): \(reason)"
        case let .notASeedKey(network, prefix, count):
            return "getmikattestation is only available on seed nodes: this node's attestation key "
                + "(public key \(prefix)...) is not one of the \(count) \(network) seed keys"
        case .notUsedOnNetwork(let network): return "\(network) has no seed attestation"
        case let .badSeedKeyList(path, line, reason): return "\(path):\(line): \(reason)"
        case .emptyDatacenterList(let path):
            return "\(path) lists no datacenter ASN, but this chain refuses attestations to datacenter addresses"
        case .emptyASNDatabase(let path): return "\(path) holds no IPv4 range (expected iptoasn's ip2asn-v4.tsv)"
        }
    }
}
