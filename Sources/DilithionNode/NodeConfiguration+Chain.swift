import DilithionChain
import DilithionWire

extension NodeConfiguration {
    /// The parameters the node runs with: the network's, or with ``legacyRegtest`` our legacy
    /// regtest (RandomX headers on regtest's magic and ports, ``NetworkParameters/legacyRegtest``).
    public var parameters: NetworkParameters { legacyRegtest ? .legacyRegtest : network.parameters }

    /// The chain rules for ``parameters``, before the node's own overrides (caps, lifetimes) and its
    /// legacy hasher.
    var baseChainConfiguration: ChainConfiguration {
        legacyRegtest ? .legacyRegtest(legacyHasher: nil) : ChainConfiguration(network: network)
    }
}
