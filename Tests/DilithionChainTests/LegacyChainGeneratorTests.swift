import DilithionWire
import VectorSupport
import XCTest

@testable import DilithionChain

/// The legacy regtest and its generator: v1 blocks, mined, that a legacy chain state stores.
final class LegacyChainGeneratorTests: XCTestCase {
    private var directory = ""

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    func testGeneratedBlocksAreMinedLegacyBlocksALegacyChainStores() throws {
        let configuration = ChainConfiguration.legacyRegtest(legacyHasher: MinedNonceHasher())
        XCTAssertEqual(configuration.parameters.genesisHash, LegacyRegtestGenesis.expectedHash)
        XCTAssertTrue(configuration.parameters.usesLegacyHeaders)
        XCTAssertEqual(configuration.parameters.magic, Network.regtest.magic)
        let chain = try ChainState(directory: directory, configuration: configuration)
        let generator = LegacyChainGenerator(hasher: MinedNonceHasher(), seed: 9)
        let hashes = try generator.generate(count: 20, onto: chain)
        XCTAssertEqual(chain.tip, ChainTip(hash: hashes[19], height: 20))
        for (offset, hash) in hashes.enumerated() {
            let record = try XCTUnwrap(chain.record(for: hash))
            XCTAssertEqual(record.header.version, 1)
            XCTAssertEqual(record.header.bits, LegacyRegtestGenesis.bits)
            XCTAssertTrue(record.header.meetsTarget(hash: hash))
            XCTAssertEqual(record.height, offset + 1)
            let payload = try XCTUnwrap(try chain.blockPayload(hash: hash))
            XCTAssertEqual(payload.count, try XCTUnwrap(chain.store.reader.payload(for: hash)).count)
        }
        // Deterministic: the same seed and parent give the same block.
        let parent = LegacyRegtestGenesis.expectedHash
        let time = LegacyRegtestGenesis.time + LegacyChainGenerator.blockInterval
        XCTAssertEqual(generator.makeBlock(parent: parent, height: 1, time: time).hash, hashes[0])
        XCTAssertNotEqual(generator.makeBlock(parent: parent, height: 1, time: time, variant: 1).hash, hashes[0])
        XCTAssertEqual(
            generator.makeHeaders(after: parent, height: 0, time: LegacyRegtestGenesis.time, count: 20).map(\.hash), hashes)
    }

    func testTheLegacyGenesisIsAValidLegacyBlock() throws {
        let genesis = LegacyRegtestGenesis.block
        XCTAssertEqual(genesis.header.version, 1)
        XCTAssertNoThrow(try BlockValidation.validate(genesis.message))
        XCTAssertEqual(NetworkParameters.legacyRegtest.genesisBlock, genesis.message)
        XCTAssertEqual(LegacyRegtestGenesis.block.header.serialized.count, 80)
    }
}
