/// Everything network-specific the codec and the node need: magic, ports, protocol versions,
/// the genesis block (as bytes) and its expected hash, hardcoded seeds, and the VDF lottery rule.
public struct NetworkParameters: Sendable {
    public let network: Network
    public let magic: NetworkMagic
    public let defaultPort: UInt16
    public let defaultRPCPort: UInt16
    /// The protocol version we speak (C++ `PROTOCOL_VERSION`).
    public let protocolVersion: Int32
    /// Peers below this are refused (C++ `MIN_PEER_PROTO_VERSION`, DilV's is higher).
    public let minimumPeerProtocolVersion: Int32
    /// The genesis block as a `block` message payload.
    public let genesisBlockPayload: [UInt8]
    /// The genesis hash every `version` must carry.
    public let genesisHash: Hash256
    /// True when headers are legacy (80 bytes, RandomX) — mainnet today.
    public let usesLegacyHeaders: Bool
    /// Hardcoded seeds ("host:port"). Dialed only for public networks and only without `--connect`.
    public let seeds: [String]
    /// The VDF lottery (PROTOCOL.md §4.6): from this height a sibling v4 block with a lower
    /// `vdfOutput` replaces the tip if it arrives within the grace period.
    public let vdfLotteryActivationHeight: Int
    public let vdfLotteryGracePeriodSeconds: Int

    /// The genesis block message, decoded.
    public var genesisBlock: BlockMessage {
        guard case .block(let block) = try? Message.decode(command: Command.block, payload: genesisBlockPayload) else {
            preconditionFailure("the \(network) genesis block in the code does not decode")
        }
        return block
    }

    static func of(_ network: Network) -> NetworkParameters {
        switch network {
        case .mainnet: return mainnet
        case .testnet: return testnet
        case .dilv: return dilv
        case .regtest: return regtest
        }
    }

    public static let protocolVersion70011: Int32 = 70011

    static let mainnet = NetworkParameters(
        network: .mainnet, magic: Network.mainnet.magic, defaultPort: 8444, defaultRPCPort: 8332,
        protocolVersion: protocolVersion70011, minimumPeerProtocolVersion: 70005,
        genesisBlockPayload: HexCoding.decode(GenesisBlocks.mainnetHex)!,
        genesisHash: Hash256(displayHex: "0000009eaa5e7781ba6d14525c3f75c35444045b21ddafbbea61090db99b0bc3")!,
        usesLegacyHeaders: true,
        seeds: ["138.197.68.128:8444", "167.172.56.119:8444", "165.22.103.114:8444", "134.199.159.83:8444"],
        vdfLotteryActivationHeight: 999_999_999, vdfLotteryGracePeriodSeconds: 60)

    static let testnet = NetworkParameters(
        network: .testnet, magic: Network.testnet.magic, defaultPort: 18444, defaultRPCPort: 18332,
        protocolVersion: protocolVersion70011, minimumPeerProtocolVersion: 70005,
        genesisBlockPayload: HexCoding.decode(GenesisBlocks.testnetHex)!,
        genesisHash: Hash256(displayHex: "45cff8020830b10d06e9b6123aaa187a334600e49335e4605f3807e30dd0a972")!,
        usesLegacyHeaders: false,
        seeds: ["134.122.4.164:18444", "209.97.177.197:18444", "188.166.255.63:18444"],
        vdfLotteryActivationHeight: 0, vdfLotteryGracePeriodSeconds: 45)

    static let dilv = NetworkParameters(
        network: .dilv, magic: Network.dilv.magic, defaultPort: 9444, defaultRPCPort: 9332,
        protocolVersion: protocolVersion70011, minimumPeerProtocolVersion: 70010,
        genesisBlockPayload: HexCoding.decode(GenesisBlocks.dilvHex)!,
        genesisHash: Hash256(displayHex: "ed06d89a233d9cfa4518f9a6012d8bccb2264afed098c6035b9949710d31c48e")!,
        usesLegacyHeaders: false,
        seeds: ["138.197.68.128:9444", "167.172.56.119:9444", "165.22.103.114:9444", "134.199.159.83:9444"],
        vdfLotteryActivationHeight: 0, vdfLotteryGracePeriodSeconds: 45)

    static let regtest: NetworkParameters = {
        let genesis = RegtestGenesis.block
        return NetworkParameters(
            network: .regtest, magic: Network.regtest.magic, defaultPort: 18744, defaultRPCPort: 18745,
            protocolVersion: protocolVersion70011, minimumPeerProtocolVersion: 70005,
            genesisBlockPayload: Message.block(genesis.message).encodePayload(),
            genesisHash: RegtestGenesis.expectedHash,
            usesLegacyHeaders: false, seeds: [],
            vdfLotteryActivationHeight: 0, vdfLotteryGracePeriodSeconds: 45)
    }()
}
