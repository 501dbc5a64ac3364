/// The networks this node speaks. Regtest is ours (the C++ project has no regtest chain): a VDF
/// chain with an easy target whose blocks the node's `generate` command makes, for tests and demos.
public enum Network: String, Sendable, CaseIterable, Hashable {
    case mainnet
    case testnet
    case dilv
    case regtest

    /// The frame magic (DESIGN.md "Networks").
    public var magic: NetworkMagic {
        switch self {
        case .mainnet: return NetworkMagic(0xD171_4102)
        case .testnet: return NetworkMagic(0xDAB5_BFFA)
        case .dilv: return NetworkMagic(0xD17F_D100)
        case .regtest: return NetworkMagic(0xFABF_B5DA)
        }
    }

    /// The network whose magic this is, if any.
    public init?(magic: NetworkMagic) {
        guard let match = Network.allCases.first(where: { $0.magic == magic }) else { return nil }
        self = match
    }

    /// The full parameter set.
    public var parameters: NetworkParameters { NetworkParameters.of(self) }
}
