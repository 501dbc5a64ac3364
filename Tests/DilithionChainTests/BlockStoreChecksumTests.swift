import DilithionWire
import Foundation
import GRDB
import XCTest

@testable import DilithionChain

/// The frame checksum kept with each stored block (schema 2), so that `getdata` is served without
/// hashing, and the migration of schema-1 stores.
final class BlockStoreChecksumTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 5)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    private func block(height: Int, parent: Hash256 = Fixtures.genesisHash) -> (Hash256, BlockMessage) {
        let message = generator.makeBlock(
            parent: parent, height: height, size: 700, time: Fixtures.genesis.time + UInt32(60 * height))
        return (try! message.header.hash(), message)
    }

    private func storedChecksum(_ hash: Hash256) throws -> Int64? {
        let queue = try DatabaseQueue(path: directory + "/" + BlockStore.fileName)
        defer { try? queue.close() }
        let row = try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT checksum FROM blocks WHERE hash = ?", arguments: [Data(hash.internalBytes)])
        }
        let checksum: Int64? = row?[0]
        return checksum
    }

    func testInsertKeepsTheChecksumOfThePayloadItServes() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hash, message) = block(height: 1)
        try store.writer.insert(hash: hash, height: 1, message: message)
        let served = try XCTUnwrap(try store.reader.servingPayload(for: hash))
        let payload = Message.block(message).encodePayload()
        XCTAssertEqual(served.payload, payload)
        XCTAssertEqual(served.checksum, SHA3.checksum(payload))
        XCTAssertEqual(try storedChecksum(hash), Int64(SHA3.checksum(payload)))
        XCTAssertNil(try store.reader.servingPayload(for: Hash256(w0: 9, w1: 0, w2: 0, w3: 0)))
    }

    /// A stored block served as a finished frame: the bytes are exactly the `block` frame of its
    /// payload, and the header carries the stored checksum as it is (read, not computed: a checksum
    /// stored for a received frame is what goes out). A 1 MiB block spans SQLite overflow pages.
    func testServingFrameIsTheBlockFrameUnderTheStoredChecksum() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hashA, messageA) = block(height: 1)
        try store.writer.insert(hash: hashA, height: 1, message: messageA)
        let payloadA = Message.block(messageA).encodePayload()
        let frameA = try XCTUnwrap(try store.reader.servingFrame(for: hashA))
        XCTAssertEqual(frameA.bytes, FrameEncoder.encode(magic: Network.regtest.magic, command: Command.block, payload: payloadA))
        XCTAssertEqual(frameA.command, Command.block)
        XCTAssertEqual(frameA.payloadCount, payloadA.count)

        let large = generator.makeBlock(
            parent: hashA, height: 2, size: 1_048_576, time: Fixtures.genesis.time + 120)
        let hashB = try large.header.hash()
        let payloadB = Message.block(large).encodePayload()
        let stored = PayloadChecksum(checksum: 0x0BAD_F00D, payloadCount: payloadB.count)
        try store.writer.insert(hash: hashB, height: 2, message: large, payloadChecksum: stored)
        let frameB = try XCTUnwrap(try store.reader.servingFrame(for: hashB))
        XCTAssertEqual(frameB.checksum, 0x0BAD_F00D, "the stored checksum, not one computed now")
        XCTAssertEqual(try storedChecksum(hashB), Int64(0x0BAD_F00D))
        XCTAssertEqual(frameB.withUnsafePayload { Array($0) }, payloadB)
        XCTAssertEqual(Array(frameB.bytes[..<20]), Array(FrameEncoder.encode(
            magic: Network.regtest.magic, command: Command.block, payload: payloadB)[..<20]))

        XCTAssertNil(try store.reader.servingFrame(for: Hash256(w0: 9, w1: 0, w2: 0, w3: 0)))
    }

    /// The checksum a block's frame was verified against is stored as it is (nothing hashed) when
    /// the payload written has the received length; a received payload of another length (a
    /// non-minimal CompactSize re-encodes shorter) gets the checksum of the bytes written.
    func testReceivedChecksumIsKeptOnlyForAPayloadOfTheSameLength() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hashA, messageA) = block(height: 1)
        let payloadA = Message.block(messageA).encodePayload()
        let received = PayloadChecksum(checksum: SHA3.checksum(payloadA), payloadCount: payloadA.count)
        try store.writer.insert(hash: hashA, height: 1, message: messageA, payloadChecksum: received)
        XCTAssertEqual(try store.reader.servingPayload(for: hashA)?.checksum, received.checksum)

        let (hashB, messageB) = block(height: 2, parent: hashA)
        let payloadB = Message.block(messageB).encodePayload()
        let longer = PayloadChecksum(checksum: 0xDEAD_BEEF, payloadCount: payloadB.count + 2)
        try store.writer.insert(hash: hashB, height: 2, message: messageB, payloadChecksum: longer)
        XCTAssertEqual(try store.reader.servingPayload(for: hashB)?.checksum, SHA3.checksum(payloadB))
    }

    /// A received payload of the message's encoded length is stored as it came, with its checksum;
    /// one of another length (here a non-minimal CompactSize for the blob length: the same message,
    /// two bytes longer) is not stored: the message is encoded again and hashed.
    func testReceivedPayloadIsStoredAsItCameOnlyWhenItIsTheEncoding() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hashA, messageA) = block(height: 1)
        let payloadA = Message.block(messageA).encodePayload()
        XCTAssertEqual(messageA.encodedPayloadSize, payloadA.count)
        let received = PayloadChecksum(checksum: SHA3.checksum(payloadA), payload: payloadA)
        try store.writer.insert(hash: hashA, height: 1, message: messageA, payloadChecksum: received)
        let servedA = try XCTUnwrap(try store.reader.servingPayload(for: hashA))
        XCTAssertEqual(servedA.payload, payloadA)
        XCTAssertEqual(servedA.checksum, received.checksum)

        let (hashB, messageB) = block(height: 2, parent: hashA)
        let payloadB = Message.block(messageB).encodePayload()
        var writer = ByteWriter()
        messageB.header.write(to: &writer)
        writer.writeUInt8(0xFE)  // 5-byte CompactSize for a length that fits in 3
        writer.writeUInt32(UInt32(messageB.blob.count))
        writer.writeBytes(messageB.blob)
        let nonMinimal = writer.bytes
        XCTAssertEqual(try Message.decode(command: Command.block, payload: nonMinimal), .block(messageB))
        let receivedB = PayloadChecksum(checksum: SHA3.checksum(nonMinimal), payload: nonMinimal)
        try store.writer.insert(hash: hashB, height: 2, message: messageB, payloadChecksum: receivedB)
        let servedB = try XCTUnwrap(try store.reader.servingPayload(for: hashB))
        XCTAssertEqual(servedB.payload, payloadB, "encoded again, canonically")
        XCTAssertEqual(servedB.checksum, SHA3.checksum(payloadB))
    }

    /// A schema-1 store (no checksum column) opens as schema 2; its rows get their checksum when
    /// first served, stored so that the next serve reads it.
    func testSchemaOneStoreIsMigratedAndChecksumsFilledInOnFirstServe() throws {
        let (hash, message) = block(height: 1)
        let payload = Message.block(message).encodePayload()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: directory + "/" + BlockStore.fileName)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
            try db.execute(sql: """
                CREATE TABLE blocks (
                    hash BLOB PRIMARY KEY NOT NULL, height INTEGER NOT NULL, header BLOB NOT NULL,
                    payload BLOB NOT NULL, size INTEGER NOT NULL)
                """)
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('network_magic', ?), ('schema_version', '1')",
                arguments: [String(Network.regtest.magic.value, radix: 16)])
            try db.execute(
                sql: "INSERT INTO blocks (hash, height, header, payload, size) VALUES (?, 1, ?, ?, ?)",
                arguments: [Data(hash.internalBytes), Data(message.header.serialized), Data(payload), payload.count])
        }
        try queue.close()

        let store = try BlockStore(directory: directory, network: .regtest)
        XCTAssertNil(try storedChecksum(hash), "migration adds the column; rows are filled in when served")
        XCTAssertEqual(
            try store.reader.servingFrame(for: hash)?.bytes,
            FrameEncoder.encode(magic: Network.regtest.magic, command: Command.block, payload: payload),
            "a migrated row is served as a whole frame too")
        XCTAssertEqual(try storedChecksum(hash), Int64(SHA3.checksum(payload)))
        XCTAssertEqual(try store.reader.servingPayload(for: hash)?.checksum, SHA3.checksum(payload))
        XCTAssertEqual(try storedChecksum(hash), Int64(SHA3.checksum(payload)))
        XCTAssertEqual(try store.reader.servingPayload(for: hash)?.payload, payload)
        store.close()

        let reopened = try BlockStore(directory: directory, network: .regtest)
        XCTAssertEqual(try reopened.reader.servingPayload(for: hash)?.checksum, SHA3.checksum(payload))
        let version = try DatabaseQueue(path: directory + "/" + BlockStore.fileName).read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'")
        }
        XCTAssertEqual(version, String(BlockStore.schemaVersion))
    }
}
