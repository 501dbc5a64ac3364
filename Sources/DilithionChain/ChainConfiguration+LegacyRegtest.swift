import DilithionWire

extension ChainConfiguration {
    /// Our legacy regtest (``NetworkParameters/legacyRegtest``): legacy headers only, every header
    /// at the genesis bits 0x207fffff (about one RandomX hash in two meets it), every timestamp rule
    /// from genesis, no checkpoints; otherwise regtest's defaults.
    public static func legacyRegtest(legacyHasher: (any LegacyHeaderHasher)?) -> ChainConfiguration {
        var configuration = ChainConfiguration(network: .regtest, legacyHasher: legacyHasher)
        configuration.parameters = .legacyRegtest
        configuration.difficulty = .fixed(bits: LegacyRegtestGenesis.bits)
        configuration.versions = .legacyOnly
        configuration.timestamps = .fromGenesis
        configuration.checkpoints = .none
        return configuration
    }
}
