import DilithionWire
import XCTest

@testable import DilithionChain

final class BlockValidationTests: XCTestCase {
    private let generator = RegtestChainGenerator(seed: 7)

    private func validBlock(size: Int = 3_000) -> BlockMessage {
        generator.makeBlock(parent: Fixtures.genesisHash, height: 1, size: size, time: Fixtures.genesis.time + 60)
    }

    /// The block with `transactions` and a matching merkle root (header otherwise unchanged).
    private func rebuilt(_ message: BlockMessage, transactions: [Transaction]) -> BlockMessage {
        var header = message.header
        header.merkleRoot = Merkle.root(transactions.map(\.txid))
        return Block(header: header, transactions: transactions).message
    }

    /// The rejection of `message`, after asserting that the in-place check (the download
    /// pipeline's) refuses it with the same error as the decoding validation, or accepts it too.
    private func rejection(
        _ message: BlockMessage, expectedHash: Hash256? = nil, file: StaticString = #filePath, line: UInt = #line
    ) -> ChainRejection? {
        let decoding = Fixtures.rejection { () throws(ChainRejection) in
            _ = try BlockValidation.validate(message, expectedHash: expectedHash)
        }
        let inPlace = Fixtures.rejection { () throws(ChainRejection) in
            try BlockValidation.check(message, expectedHash: expectedHash)
        }
        XCTAssertEqual(inPlace, decoding, "check and validate disagree", file: file, line: line)
        return decoding
    }

    /// The in-place check and the decoding validation agree on every damaged copy of a block: each
    /// of its bytes flipped in turn (counts, lengths, prevouts, scripts, lock times) and the blob cut
    /// at every length.
    func testInPlaceCheckAgreesWithDecodingValidationOnDamagedBlocks() {
        let message = validBlock(size: 1_200)
        XCTAssertNil(rejection(message))
        for index in message.blob.indices {
            var flipped = message
            flipped.blob[index] ^= 0xA5
            _ = rejection(flipped)
            var cut = message
            cut.blob = Array(message.blob[..<index])
            _ = rejection(cut)
        }
    }

    /// ``Transaction/skim(from:)`` reads exactly what ``Transaction/read(from:)`` reads and reports
    /// its coinbase flag and first scriptSig.
    func testSkimReadsWhatReadReads() throws {
        let block = try Block(message: validBlock())
        for transaction in block.transactions {
            let bytes = transaction.serialized + [0xEE]
            var reading = ByteReader(bytes)
            var skimming = ByteReader(bytes)
            XCTAssertEqual(try Transaction.read(from: &reading), transaction)
            let shape = try Transaction.skim(from: &skimming)
            XCTAssertEqual(skimming.offset, reading.offset)
            XCTAssertEqual(shape.isCoinbase, transaction.isCoinbase)
            XCTAssertEqual(shape.firstScriptSig.map { Array(bytes[$0]) }, transaction.inputs.first?.scriptSig)
        }
    }

    func testGeneratedBlockWithSeveralTransactionsIsValid() throws {
        let message = validBlock()
        let block = try BlockValidation.validate(message, expectedHash: try message.header.hash())
        XCTAssertGreaterThan(block.transactions.count, 1)
    }

    func testOversizedBlobIsRejected() {
        var message = validBlock()
        message.blob = [UInt8](repeating: 0, count: Limits.maxBlockBlob + 1)
        XCTAssertEqual(rejection(message), .blockTooLarge(size: Limits.maxBlockBlob + 1))
        XCTAssertEqual(rejection(message)?.reasonCode, "bad-blk-length")
    }

    func testUnparseableTransactionsAreRejected() {
        var message = validBlock()
        message.blob = [0x01, 0x00, 0x00]
        XCTAssertEqual(rejection(message)?.reasonCode, "bad-blk-txns")
        XCTAssertEqual(rejection(message)?.misbehaviourPoints, 100)
        XCTAssertEqual(rejection(message)?.invalidatesHeader, false)
    }

    func testBlockWithoutTransactionsIsRejected() {
        var message = validBlock()
        message.blob = [0x00]
        XCTAssertEqual(rejection(message), .noTransactions)
    }

    func testDuplicateTransactionIsRejected() throws {
        let block = try Block(message: validBlock())
        let mutated = rebuilt(validBlock(), transactions: block.transactions + [block.transactions[1]])
        XCTAssertEqual(rejection(mutated), .duplicateTransaction)
        XCTAssertEqual(rejection(mutated)?.reasonCode, "bad-txns-duplicate")
        XCTAssertEqual(rejection(mutated)?.invalidatesHeader, false)
    }

    func testMerkleRootMismatchIsRejected() {
        var message = validBlock()
        message.header.merkleRoot = Hash256(w0: 1, w1: 2, w2: 3, w3: 4)
        XCTAssertEqual(rejection(message), .merkleRootMismatch)
        XCTAssertEqual(rejection(message)?.reasonCode, "bad-txnmrklroot")
        XCTAssertEqual(rejection(message)?.invalidatesHeader, false)
    }

    func testCoinbaseMustComeFirst() throws {
        let block = try Block(message: validBlock())
        let reordered = rebuilt(validBlock(), transactions: Array(block.transactions.reversed()))
        XCTAssertEqual(rejection(reordered), .firstTransactionNotCoinbase)
        XCTAssertEqual(rejection(reordered)?.reasonCode, "bad-cb-missing")
        XCTAssertEqual(rejection(reordered)?.invalidatesHeader, true)
    }

    func testSecondCoinbaseIsRejected() throws {
        let block = try Block(message: validBlock())
        var second = block.transactions[0]
        second.inputs[0].scriptSig = [0x01, 0x02]
        let doubled = rebuilt(validBlock(), transactions: block.transactions + [second])
        XCTAssertEqual(rejection(doubled), .multipleCoinbases)
        XCTAssertEqual(rejection(doubled)?.reasonCode, "bad-cb-multiple")
    }

    func testMissingVDFProofIsRejected() throws {
        let block = try Block(message: validBlock())
        var coinbase = block.transactions[0]
        coinbase.inputs[0].scriptSig = [0x01, 0x01]
        let message = rebuilt(validBlock(), transactions: [coinbase] + block.transactions.dropFirst())
        XCTAssertEqual(rejection(message), .vdfProofMissing)
        XCTAssertEqual(rejection(message)?.reasonCode, "bad-vdf-proof-missing")
    }

    func testTruncatedVDFProofCountsAsMissing() throws {
        let block = try Block(message: validBlock())
        var coinbase = block.transactions[0]
        coinbase.inputs[0].scriptSig.removeLast(10)
        let message = rebuilt(validBlock(), transactions: [coinbase] + block.transactions.dropFirst())
        XCTAssertEqual(rejection(message), .vdfProofMissing)
    }

    func testVDFProofHashMismatchIsRejected() {
        var message = validBlock()
        message.header.vdfProofHash = Hash256(w0: 5, w1: 5, w2: 5, w3: 5)
        XCTAssertEqual(rejection(message), .vdfProofHashMismatch)
        XCTAssertEqual(rejection(message)?.reasonCode, "bad-vdf-proof-hash")
    }

    func testVDFOutputMismatchIsRejected() {
        var message = validBlock()
        message.header.vdfOutput = Hash256(w0: 5, w1: 5, w2: 5, w3: 5)
        XCTAssertEqual(rejection(message), .vdfOutputMismatch)
        XCTAssertEqual(rejection(message)?.reasonCode, "bad-vdf-output")
        XCTAssertEqual(rejection(message)?.invalidatesHeader, true)
    }

    func testBlockMustBeTheExpectedOne() throws {
        let message = validBlock()
        let other = Hash256(w0: 3, w1: 0, w2: 0, w3: 0)
        XCTAssertEqual(
            rejection(message, expectedHash: other), .unexpectedBlock(expected: other, received: try message.header.hash()))
        XCTAssertEqual(rejection(message, expectedHash: other)?.misbehaviourPoints, 20)
    }

    func testLegacyBlocksSkipVDFChecks() throws {
        let block = try Block(message: validBlock())
        var coinbase = block.transactions[0]
        coinbase.inputs[0].scriptSig = [0x01, 0x01]
        var header = validBlock().header
        header.version = 1
        header.merkleRoot = coinbase.txid
        XCTAssertNoThrow(try BlockValidation.validate(Block(header: header, transactions: [coinbase]).message))
    }

    func testReasonCodesAreDistinct() {
        let all: [ChainRejection] = [
            .legacyHasherUnavailable, .highHash, .invalidTarget(bits: 0), .unknownParent(.zero), .invalidParent(.zero),
            .knownInvalid(.zero), .timeTooNew(time: 0, limit: 0), .timeTooOld(time: 0, medianTimePast: 0),
            .checkpointMismatch(height: 0), .forkBelowCheckpoint(height: 0), .tooManySideBranchHeaders(limit: 0),
            .blockTooLarge(size: 0), .malformedTransactions(detail: ""), .noTransactions, .duplicateTransaction,
            .merkleRootMismatch, .firstTransactionNotCoinbase, .multipleCoinbases, .vdfProofMissing,
            .vdfProofHashMismatch, .vdfOutputMismatch, .unexpectedBlock(expected: .zero, received: .zero), .lowWorkBlock,
            .unexpectedVersion(version: 0, height: 0), .timeTooSoon(time: 0, earliest: 0),
        ]
        XCTAssertEqual(Set(all.map(\.reasonCode)).count, all.count)
        for rejection in all {
            XCTAssertTrue(rejection.reasonCode.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, rejection.reasonCode)
            XCTAssertTrue([0, 20, 100].contains(rejection.misbehaviourPoints))
        }
    }
}
