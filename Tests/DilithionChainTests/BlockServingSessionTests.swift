import DilithionWire
import Foundation
import GRDB
import XCTest

@testable import DilithionChain

/// Several blocks served from one read transaction (`BlockReader.withServingSession`): each frame is
/// exactly the block's encoded `block` message, across rows of very different sizes (the blob handle moves from
/// row to row), unknown blocks read as nil, and rows without a checksum get one stored once.
final class BlockServingSessionTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 11)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    /// Stores a chain of blocks of the given sizes on genesis; returns them, lowest first.
    private func storeChain(_ store: BlockStore, sizes: [Int]) throws -> [(hash: Hash256, message: BlockMessage)] {
        let blocks = Fixtures.blocks(sizes: sizes, from: generator)
        for (offset, block) in blocks.enumerated() {
            try store.writer.insert(hash: block.hash, height: offset + 1, message: block.message)
        }
        return blocks
    }

    func testOneSessionServesEachBlockAsItsOwnFrameAndUnknownOnesAsNil() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let blocks = try storeChain(store, sizes: [700, 1_048_576, 300, 0, 70_000])
        let hashes = blocks.map(\.hash)
        let stored = Dictionary(uniqueKeysWithValues: blocks.map { ($0.hash, $0.message) })
        let unknown = Hash256(w0: 9, w1: 8, w2: 7, w3: 6)
        let asked = [hashes[0], unknown, hashes[1], hashes[2], hashes[3], unknown, hashes[4], hashes[0]]
        let frames = try store.reader.withServingSession { session in try asked.map { try session.frame(for: $0) } }
        XCTAssertEqual(frames.count, asked.count)
        for (hash, frame) in zip(asked, frames) {
            if hash == unknown {
                XCTAssertNil(frame)
            } else {
                let message = try XCTUnwrap(stored[hash])
                let expected = FrameEncoder.encode(.block(message), magic: Network.regtest.magic)
                XCTAssertEqual(frame?.bytes, expected, "block \(hash)")
                XCTAssertEqual(frame?.command, Command.block)
            }
        }
    }

    /// A row without a checksum (as a migrated schema-1 store has them) is served under the checksum
    /// of its bytes, and that checksum is stored once the session ends.
    func testARowWithoutAChecksumGetsItStoredAfterTheSession() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let hashes = try storeChain(store, sizes: [500, 600]).map(\.hash)
        let queue = try DatabaseQueue(path: directory + "/" + BlockStore.fileName)
        defer { try? queue.close() }
        try queue.write { db in
            try db.execute(sql: "UPDATE blocks SET checksum = NULL WHERE hash = ?", arguments: [Data(hashes[1].internalBytes)])
        }
        let payload = try XCTUnwrap(try store.reader.payload(for: hashes[1]))
        let frames = try store.reader.withServingSession { session in try hashes.map { try session.frame(for: $0) } }
        XCTAssertEqual(
            frames[1]?.bytes, FrameEncoder.encode(magic: Network.regtest.magic, command: Command.block, payload: payload))
        let stored = try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT checksum FROM blocks WHERE hash = ?", arguments: [Data(hashes[1].internalBytes)])
        }
        XCTAssertEqual(stored, Int64(SHA3.checksum(payload)))
        XCTAssertEqual(frames[0]?.bytes, try store.reader.servingFrame(for: hashes[0])?.bytes)
    }
}
