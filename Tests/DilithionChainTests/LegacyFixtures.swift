import DilithionWire
import VectorSupport

@testable import DilithionChain

/// Legacy (v1) headers for the chain tests, "mined" with ``MinedNonceHasher`` instead of RandomX.
enum LegacyFixtures {
    static let hasher = MinedNonceHasher()
    static let mainnetGenesis = Fixtures.Link(
        header: Network.mainnet.parameters.genesisBlock.header, hash: Network.mainnet.parameters.genesisHash)

    /// A legacy child of `parent`, `step` seconds later; mined unless `nonce` says otherwise;
    /// `tag` makes siblings differ.
    static func child(
        of parent: Fixtures.Link, bits: UInt32, step: UInt32 = 240, nonce: UInt32 = MinedNonceHasher.minedNonce,
        version: Int32 = 1, tag: UInt64 = 0
    ) -> Fixtures.Link {
        let header = BlockHeader(
            version: version, previousBlockHash: parent.hash,
            merkleRoot: Hash256(w0: parent.hash.w0 &+ 3, w1: tag, w2: 11, w3: 0),
            time: parent.header.time + step, bits: bits, nonce: nonce)
        return Fixtures.Link(header: header, hash: MinedNonceHasher.hash(header.serialized))
    }

    /// `count` mined children, each on the previous, at `bits`.
    static func chain(from parent: Fixtures.Link, count: Int, bits: UInt32, tag: UInt64 = 0) -> [Fixtures.Link] {
        var links = [Fixtures.Link]()
        var cursor = parent
        for _ in 0..<count {
            cursor = child(of: cursor, bits: bits, tag: tag)
            links.append(cursor)
        }
        return links
    }

    /// A tree on the mainnet genesis with `configure` applied to mainnet's configuration.
    static func mainnetTree(_ configure: (inout ChainConfiguration) -> Void = { _ in }) -> HeaderTree {
        var configuration = ChainConfiguration(network: .mainnet, legacyHasher: hasher)
        configure(&configuration)
        return HeaderTree(genesis: mainnetGenesis.header, genesisHash: mainnetGenesis.hash, configuration: configuration)
    }
}
