import DilithionWire
import VectorSupport
import XCTest

@testable import DilithionChain

/// The captured testnet chain (genesis → 8) validates as a chain; altered copies fail with the
/// right reason.
final class VectorChainTests: XCTestCase {
    private var directory = ""

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    /// The `block` message in a vector frame file (24-byte frame header stripped).
    private func vectorBlock(_ name: String) throws -> BlockMessage {
        let bytes = try Vectors.hex(name + ".frame.hex")
        guard case .block(let message) = try Message.decode(command: Command.block, payload: Array(bytes.dropFirst(24)))
        else { throw NotABlockFrame(name: name) }
        return message
    }

    /// A fixture that should hold a `block` frame holds something else: the test fails.
    private struct NotABlockFrame: Error {
        let name: String
    }

    private func testnetBlocks() throws -> [BlockMessage] {
        try (1...8).map { try vectorBlock(String(format: "testnet-block-%02d", $0)) }
    }

    /// A testnet chain state holding genesis → 7.
    private func chainUpToSeven() throws -> (ChainState, block8: BlockMessage) {
        let blocks = try testnetBlocks()
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .testnet))
        for block in blocks.prefix(7) {
            guard case .stored = try chain.acceptBlock(block, now: Int64(block.header.time)) else {
                XCTFail("a captured block was refused")
                continue
            }
        }
        return (chain, blocks[7])
    }

    func testGenesisVectorsMatchParametersAndValidate() throws {
        for (name, network) in [("testnet-genesis-block", Network.testnet), ("dilv-genesis-block", .dilv)] {
            let genesis = try vectorBlock(name)
            XCTAssertEqual(genesis, network.parameters.genesisBlock)
            XCTAssertNoThrow(try BlockValidation.validate(genesis, expectedHash: network.parameters.genesisHash))
        }
    }

    func testTestnetVectorsValidateAsAChain() throws {
        let blocks = try testnetBlocks()
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .testnet))
        for (offset, block) in blocks.enumerated() {
            let outcome = try chain.acceptBlock(block, now: Int64(block.header.time))
            guard case .stored(_, let height, _) = outcome else { return XCTFail("block \(offset + 1): \(outcome)") }
            XCTAssertEqual(height, offset + 1)
        }
        XCTAssertEqual(chain.tip.height, 8)
        XCTAssertEqual(chain.tip.hash, try blocks[7].header.hash())

        // Our served headers equal the C++ node's `headers` reply for the same chain.
        let reply = try Vectors.hex("testnet-headers-1-to-8.frame.hex")
        guard case .headers(let captured) = try Message.decode(command: Command.headers, payload: Array(reply.dropFirst(24)))
        else { return XCTFail("not a headers frame") }
        XCTAssertEqual(chain.headersForPeer(locator: [Network.testnet.parameters.genesisHash], stop: .zero), captured)
    }

    func testVectorHeadersAcceptedBeforeBlocks() throws {
        let blocks = try testnetBlocks()
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .testnet))
        let now = Int64(blocks[7].header.time)
        let acceptance = chain.acceptHeaders(blocks.map(\.header), now: now)
        XCTAssertEqual(acceptance.acceptedCount, 8)
        XCTAssertNil(acceptance.rejection)
        XCTAssertEqual(acceptance.bestHeader.height, 8)
        XCTAssertEqual(chain.tip.height, 0)
        XCTAssertEqual(chain.downloadCandidates(limit: 100).map(\.height), Array(1...8))
    }

    /// A competing testnet block 8: the captured block 8's parent, bits and time, a coinbase whose
    /// VDF commitment (a made-up 200-byte proof: a relay checks the commitment, not the proof) gives
    /// a `vdfOutput` below the captured one's.
    private func lowerOutputSibling(of captured: BlockMessage) throws -> BlockMessage {
        var random = SplitMix64(seed: 8)
        for _ in 0..<64 {
            let commitment = VDFCommitment(proof: random.bytes(200))
            guard commitment.output < captured.header.vdfOutput else { continue }
            let coinbase = Transaction(
                version: 1, inputs: [.init(previousOutput: .null, scriptSig: [0x01, 0x08] + commitment.scriptBytes, sequence: .max)],
                outputs: [.init(value: 0, scriptPubKey: [0x6A])], lockTime: 0)
            let header = BlockHeader(
                version: 4, previousBlockHash: captured.header.previousBlockHash, merkleRoot: Merkle.root([coinbase.txid]),
                time: captured.header.time, bits: captured.header.bits, nonce: 1,
                vdfOutput: commitment.output, vdfProofHash: commitment.proofHash)
            return Block(header: header, transactions: [coinbase]).message
        }
        throw XCTSkip("no lower output in 64 tries")
    }

    /// The VDF lottery (PROTOCOL.md §4.6) on the captured testnet chain: with genesis → 8 stored,
    /// block 8 stored at its own time, a sibling with a lower `vdfOutput` replaces it on the active
    /// chain when it is stored within testnet's 45 s grace period, and not a second later (it is
    /// stored and served either way).
    func testALowerOutputSiblingOfTheCapturedTipWinsWithinTheGracePeriodOnly() throws {
        let blocks = try testnetBlocks()
        let captured = blocks[7]
        let sibling = try lowerOutputSibling(of: captured)
        let siblingHash = try sibling.header.hash()
        XCTAssertEqual(ChainConfiguration(network: .testnet).vdfLotteryGracePeriodSeconds, 45)
        for (delay, wins) in [(Int64(45), true), (46, false)] {
            Fixtures.remove(directory)
            directory = Fixtures.temporaryDirectory()
            let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .testnet))
            for block in blocks {
                guard case .stored = try chain.acceptBlock(block, now: Int64(block.header.time)) else { return XCTFail("refused") }
            }
            let storedAt = Int64(captured.header.time)
            guard case .stored(_, 8, let change) = try chain.acceptBlock(sibling, now: storedAt + delay) else {
                return XCTFail("the sibling is stored either way")
            }
            XCTAssertEqual(change?.disconnected, wins ? [try captured.header.hash()] : nil, "after \(delay) s")
            XCTAssertEqual(chain.tip.hash, wins ? siblingHash : try captured.header.hash(), "after \(delay) s")
            XCTAssertNotNil(try chain.blockPayload(hash: siblingHash))
        }
    }

    func testAlteredMerkleRootFails() throws {
        let (chain, captured) = try chainUpToSeven()
        var block = captured
        block.header.merkleRoot = Hash256(w0: 1, w1: 1, w2: 1, w3: 1)
        XCTAssertEqual(try chain.acceptBlock(block, now: Int64(block.header.time)), .rejected(.merkleRootMismatch))
    }

    func testAlteredLinkFails() throws {
        let (chain, captured) = try chainUpToSeven()
        var block = captured
        block.header.previousBlockHash = Hash256(w0: 9, w1: 9, w2: 9, w3: 9)
        let hash = try block.header.hash()
        XCTAssertEqual(try chain.acceptBlock(block, now: Int64(block.header.time)), .unrequestedOrphan(hash: hash))
        let acceptance = chain.acceptHeaders([block.header], now: Int64(block.header.time))
        XCTAssertEqual(acceptance.rejection, .unknownParent(block.header.previousBlockHash))
        XCTAssertEqual(acceptance.rejection?.misbehaviourPoints, 20)
        XCTAssertNil(chain.record(for: hash))
    }

    func testAlteredVDFCommitmentFails() throws {
        let (chain, captured) = try chainUpToSeven()
        var block = captured
        var proofAltered = block
        proofAltered.header.vdfProofHash = Hash256(w0: 2, w1: 2, w2: 2, w3: 2)
        block.header.vdfOutput = Hash256(w0: 3, w1: 3, w2: 3, w3: 3)
        XCTAssertEqual(try chain.acceptBlock(block, now: Int64(block.header.time)), .rejected(.vdfOutputMismatch))
        XCTAssertEqual(
            try chain.acceptBlock(proofAltered, now: Int64(block.header.time)), .rejected(.vdfProofHashMismatch))
    }

    func testFutureTimestampFails() throws {
        let (chain, captured) = try chainUpToSeven()
        var block = captured
        let now = Int64(block.header.time)
        // Testnet: the C++ node's 10-minute limit (MAX_FUTURE_BLOCK_TIME_V2).
        block.header.time += 11 * 60
        let outcome = try chain.acceptBlock(block, now: now)
        XCTAssertEqual(outcome, .rejected(.timeTooNew(time: block.header.time, limit: now + 600)))
        XCTAssertEqual(chain.tip.height, 7)
    }

    func testDuplicateCoinbaseFails() throws {
        let (chain, captured) = try chainUpToSeven()
        var block = captured
        let parsed = try Block(message: block)
        var second = parsed.transactions[0]
        second.lockTime = 1
        let transactions = parsed.transactions + [second]
        block.header.merkleRoot = Merkle.root(transactions.map(\.txid))
        block = Block(header: block.header, transactions: transactions).message
        XCTAssertEqual(try chain.acceptBlock(block, now: Int64(block.header.time)), .rejected(.multipleCoinbases))
        XCTAssertEqual(chain.record(for: try block.header.hash())?.status, nil, "an unknown header is not kept")
    }
}
