extension NetworkParameters {
    /// Regtest with a legacy genesis (``LegacyRegtestGenesis``): regtest's magic, ports and lottery
    /// parameters, 80-byte RandomX headers. For tests and benchmarks of the mainnet header path.
    public static let legacyRegtest: NetworkParameters = {
        let regtest = NetworkParameters.regtest
        return NetworkParameters(
            network: .regtest, magic: regtest.magic, defaultPort: regtest.defaultPort,
            defaultRPCPort: regtest.defaultRPCPort, protocolVersion: regtest.protocolVersion,
            minimumPeerProtocolVersion: regtest.minimumPeerProtocolVersion,
            genesisBlockPayload: Message.block(LegacyRegtestGenesis.block.message).encodePayload(),
            genesisHash: LegacyRegtestGenesis.expectedHash, usesLegacyHeaders: true, seeds: [],
            vdfLotteryActivationHeight: regtest.vdfLotteryActivationHeight,
            vdfLotteryGracePeriodSeconds: regtest.vdfLotteryGracePeriodSeconds)
    }()
}
