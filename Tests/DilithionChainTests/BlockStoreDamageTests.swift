import DilithionWire
import Foundation
import GRDB
import XCTest

@testable import DilithionChain

/// Damage the store meets while running or when rebuilt: a file truncated under the reader
/// connections' mapping, and rows whose columns read as NULL during `--reindex`. Each gives a typed
/// error or a counted skip, never a signal or a trap.
final class BlockStoreDamageTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 11)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    private var path: String { directory + "/" + BlockStore.fileName }

    /// `count` linked blocks of `size` bytes above genesis.
    private func blocks(_ count: Int, size: Int) -> [(hash: Hash256, message: BlockMessage)] {
        Fixtures.blocks(count, size: size, from: generator)
    }

    /// The file cut to a quarter while the store is open and its readers have mapped all of it:
    /// reading a block whose pages are gone is a typed error (before the guard, a SIGBUS that killed
    /// the process), the mapping is off from then on, and a block whose pages survive still reads.
    func testATruncatedFileGivesATypedErrorNotASignal() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let stored = blocks(24, size: 200_000)
        for (height, (hash, message)) in stored.enumerated() {
            try store.writer.insert(hash: hash, height: height + 1, message: message)
        }
        try store.checkpoint()
        // Every block read once through the mapping: the readers map the whole file.
        for (hash, _) in stored { XCTAssertNotNil(try store.reader.servingFrame(for: hash)) }
        XCTAssertFalse(store.reader.isMappingDisabled)

        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertGreaterThan(size, 24 * 200_000)
        XCTAssertEqual(truncate(path, off_t(size / 4)), 0)

        let last = stored[stored.count - 1].0
        XCTAssertThrowsError(try store.reader.servingFrame(for: last)) { error in
            guard let error = error as? BlockStoreError else { return XCTFail("untyped error \(error)") }
            switch error {
            case .corrupt, .database: break
            default: XCTFail("unexpected \(error)")
            }
        }
        XCTAssertThrowsError(try store.reader.payload(for: last))
        XCTAssertTrue(store.reader.isMappingDisabled)
        XCTAssertEqual(try store.reader.servingFrame(for: stored[0].0)?.bytes.count, Message.block(stored[0].1).encodePayload().count + 24)
        store.close()
    }
}

extension BlockStoreDamageTests {
    /// `--reindex` of a file whose rows read NULL in the payload or height column (the schema says
    /// NOT NULL, but a damaged file says what it says; here the table is written without the
    /// constraint): each such row is skipped and counted, the readable blocks are kept. Before the
    /// fix, GRDB's non-optional decode trapped on the first NULL.
    func testReindexSkipsAndCountsRowsWhosePayloadOrHeightIsNull() throws {
        let stored = blocks(3, size: 700)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('network_magic', ?), ('schema_version', '2')",
                arguments: [String(Network.regtest.magic.value, radix: 16)])
            try db.execute(
                sql: "CREATE TABLE blocks (hash BLOB PRIMARY KEY, height INTEGER, header BLOB, payload BLOB, size INTEGER, checksum INTEGER)")
            for (index, (hash, message)) in stored.enumerated() {
                let payload = Message.block(message).encodePayload()
                try db.execute(
                    sql: "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, NULL)",
                    arguments: [
                        Data(hash.internalBytes), index + 1, Data(message.header.serialized), Data(payload), payload.count,
                    ])
            }
            try db.execute(sql: "UPDATE blocks SET payload = NULL WHERE height = 2")
            try db.execute(
                sql: "INSERT INTO blocks VALUES (?, NULL, NULL, ?, 0, NULL)",
                arguments: [Data(repeating: 7, count: 32), Data(Message.block(stored[0].1).encodePayload())])
        }
        try queue.close()

        let report = try BlockStore.reindex(directory: directory, network: .regtest, legacyHasher: nil)
        XCTAssertEqual(report.unreadableRows, 2)
        XCTAssertEqual(report.keptBlocks, 2)
        XCTAssertNil(report.readError)
        XCTAssertTrue(report.description.contains("2 unreadable rows skipped"), report.description)
        let store = try BlockStore(directory: directory, network: .regtest)
        defer { store.close() }
        XCTAssertTrue(try store.reader.contains(stored[0].0))
        XCTAssertFalse(try store.reader.contains(stored[1].0))
        XCTAssertTrue(try store.reader.contains(stored[2].0))
    }
}
