import DilithionWire
import XCTest

@testable import DilithionChain

final class RegtestChainGeneratorTests: XCTestCase {
    private let generator = RegtestChainGenerator(seed: 42)
    private let time = Fixtures.genesis.time + 60

    private func make(size: Int, variant: UInt64 = 0) -> BlockMessage {
        generator.makeBlock(parent: Fixtures.genesisHash, height: 1, size: size, time: time, variant: variant)
    }

    func testBlocksAreDeterministicAndVariantsDiffer() throws {
        XCTAssertEqual(make(size: 2_000), make(size: 2_000))
        XCTAssertNotEqual(try make(size: 2_000).header.hash(), try make(size: 2_000, variant: 1).header.hash())
        XCTAssertNotEqual(
            try make(size: 2_000).header.hash(),
            try RegtestChainGenerator(seed: 43).makeBlock(
                parent: Fixtures.genesisHash, height: 1, size: 2_000, time: time
            ).header.hash())
    }

    func testSmallBlockIsAFewHundredBytesAndValid() throws {
        let message = make(size: 300)
        XCTAssertLessThanOrEqual(message.blob.count, 300)
        XCTAssertGreaterThan(message.blob.count, 200)
        let block = try BlockValidation.validate(message)
        XCTAssertEqual(block.transactions.count, 1)
        XCTAssertEqual(message.header.version, 4)
        XCTAssertEqual(message.header.bits, 0x207F_FFFF)
        XCTAssertEqual(message.header.time, time)
    }

    func testLargeBlockHasFillerTransactionsAndRequestedSize() throws {
        let message = make(size: 1 << 20)
        XCTAssertLessThanOrEqual(message.blob.count, 1 << 20)
        XCTAssertGreaterThan(message.blob.count, (1 << 20) - 64)
        let block = try BlockValidation.validate(message)
        XCTAssertGreaterThan(block.transactions.count, 50)
        XCTAssertEqual(block.transactions.filter(\.isCoinbase).count, 1)
    }

    func testSizeIsCappedAtTheBlobLimit() throws {
        let message = make(size: Limits.maxBlockBlob + 100_000)
        XCTAssertLessThanOrEqual(message.blob.count, Limits.maxBlockBlob)
        XCTAssertGreaterThan(message.blob.count, Limits.maxBlockBlob - 64)
        XCTAssertNoThrow(try BlockValidation.validate(message))
        // And it survives the wire codec's own cap.
        let payload = Message.block(message).encodePayload()
        XCTAssertEqual(try Message.decode(command: Command.block, payload: payload), .block(message))
    }

    func testCoinbaseCarriesHeightPushAndCommittedProof() throws {
        let message = generator.makeBlock(parent: Fixtures.genesisHash, height: 300, size: 300, time: time)
        let coinbase = try Block(message: message).transactions[0]
        XCTAssertEqual(Array(coinbase.inputs[0].scriptSig.prefix(3)), [0x02, 0x2C, 0x01])
        let commitment = try XCTUnwrap(VDFCommitment.extract(fromScriptSig: coinbase.inputs[0].scriptSig))
        XCTAssertEqual(commitment.proof.count, 200)
        XCTAssertEqual(commitment.output, message.header.vdfOutput)
        XCTAssertEqual(RegtestChainGenerator.heightPush(128), [0x02, 0x80, 0x00])
        XCTAssertEqual(RegtestChainGenerator.heightPush(0), [0x00])
    }

    func testSizePattern() {
        let pattern = BlockSizePattern.periodic(small: 300, large: 1_000_000, every: 100)
        XCTAssertEqual(pattern.size(atHeight: 99), 300)
        XCTAssertEqual(pattern.size(atHeight: 100), 1_000_000)
        XCTAssertEqual(BlockSizePattern.constant(5).size(atHeight: 7), 5)
    }

    /// A refused block stops generation with the chain's reason (here: a checkpoint at height 1
    /// names another block).
    func testGenerationReportsARefusedBlock() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        var configuration = ChainConfiguration(network: .regtest)
        configuration.checkpoints = Checkpoints([1: Hash256(w0: 1, w1: 2, w2: 3, w3: 4)])
        let chain = try ChainState(directory: directory, configuration: configuration)
        XCTAssertThrowsError(try generator.generate(count: 1, onto: chain)) { error in
            XCTAssertEqual(error as? RegtestGeneratorError, .refused(height: 1, outcome: .rejected(.checkpointMismatch(height: 1))))
        }
    }

    /// Generation builds on the active tip even while a heavier chain of headers nobody backs with
    /// blocks is the best header: such a chain never stands in the way of stored blocks.
    func testGenerationExtendsTheActiveTipUnderAHeavierHeaderChain() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        let headers = Fixtures.chain(from: Fixtures.genesisLink, count: 3, variant: 99).map(\.header)
        _ = chain.acceptHeaders(headers, now: Fixtures.farFuture)
        let hashes = try generator.generate(count: 2, onto: chain)
        XCTAssertEqual(chain.tip, ChainTip(hash: hashes[1], height: 2))
        XCTAssertEqual(chain.bestHeader.hash, try headers[2].hash())
    }
}
