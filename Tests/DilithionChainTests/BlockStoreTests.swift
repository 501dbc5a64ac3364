import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

final class BlockStoreTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 3)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    private var databasePath: String { directory + "/" + BlockStore.fileName }

    private func block(height: Int, size: Int = 500, parent: Hash256 = Fixtures.genesisHash) -> (Hash256, BlockMessage) {
        let message = generator.makeBlock(
            parent: parent, height: height, size: size, time: Fixtures.genesis.time + UInt32(60 * height))
        return (try! message.header.hash(), message)
    }

    /// Copies the database and its WAL as they are on disk right now: what a `kill -9` at this
    /// instant would leave behind.
    private func snapshotFiles(to snapshot: String) throws {
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: databasePath + suffix) {
            try FileManager.default.copyItem(atPath: databasePath + suffix, toPath: snapshot + "/" + BlockStore.fileName + suffix)
        }
    }

    private struct Abandon: Error {}

    func testInsertReadAndStatistics() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hashA, blockA) = block(height: 1)
        let (hashB, blockB) = block(height: 2, size: 4_000, parent: hashA)
        XCTAssertTrue(try store.writer.insert(hash: hashA, height: 1, message: blockA))
        XCTAssertTrue(try store.writer.insert(hash: hashB, height: 2, message: blockB))
        XCTAssertFalse(try store.writer.insert(hash: hashA, height: 1, message: blockA), "a second insert writes nothing")
        let payloadA = Message.block(blockA).encodePayload()
        let payloadB = Message.block(blockB).encodePayload()
        XCTAssertEqual(try store.reader.payload(for: hashA), payloadA)
        XCTAssertNil(try store.reader.payload(for: Hash256(w0: 1, w1: 0, w2: 0, w3: 0)))
        XCTAssertEqual(
            try store.reader.statistics(),
            BlockStoreStatistics(blockCount: 2, totalBytes: payloadA.count + payloadB.count, highestStoredHeight: 2))
        XCTAssertEqual(try store.reader.storedHeaders().map(\.hash), [hashA, hashB])
    }

    func testStoreUsesWALWithTheRequestedSync() throws {
        let normal = try BlockStore(directory: directory, network: .regtest)
        XCTAssertEqual(try normal.writer.durabilitySettings().journalMode, "wal")
        XCTAssertEqual(try normal.writer.durabilitySettings().synchronous, 1)
        normal.close()
        let full = try BlockStore(directory: directory, network: .regtest, fullSync: true)
        XCTAssertEqual(try full.writer.durabilitySettings().synchronous, 2)
    }

    func testAbandonedWriteTransactionLeavesNothingBehind() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hashA, blockA) = block(height: 1)
        let (hashB, blockB) = block(height: 2, size: 1 << 20, parent: hashA)
        try store.writer.insert(hash: hashA, height: 1, message: blockA)
        let snapshot = directory + "/killed"
        XCTAssertThrowsError(
            try store.writer.insert(hash: hashB, height: 2, message: blockB) {
                // Inside the open transaction, after the row was written: the process "dies" here.
                try self.snapshotFiles(to: snapshot)
                throw Abandon()
            })
        XCTAssertFalse(try store.reader.contains(hashB), "the abandoned transaction rolled back")
        XCTAssertTrue(try store.reader.contains(hashA))

        let recovered = try BlockStore(directory: snapshot, network: .regtest)
        XCTAssertTrue(try recovered.reader.contains(hashA), "a committed block survives the crash")
        XCTAssertFalse(try recovered.reader.contains(hashB), "an uncommitted block never appears")
        XCTAssertEqual(try recovered.reader.statistics().blockCount, 1)
        try recovered.writer.insert(hash: hashB, height: 2, message: blockB)
        XCTAssertEqual(try recovered.reader.payload(for: hashB), Message.block(blockB).encodePayload())
    }

    func testCommittedBlockSurvivesAKillWithoutClose() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        let (hash, message) = block(height: 1, size: 100_000)
        try store.writer.insert(hash: hash, height: 1, message: message)
        let snapshot = directory + "/killed"
        try snapshotFiles(to: snapshot)
        let recovered = try BlockStore(directory: snapshot, network: .regtest)
        XCTAssertEqual(try recovered.reader.payload(for: hash), Message.block(message).encodePayload())
    }

    func testGarbageFileGivesAClearErrorNamingFileAndFix() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        store.close()
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: databasePath))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
        XCTAssertThrowsError(try BlockStore(directory: directory, network: .regtest)) { error in
            guard case .corrupt(let path, _)? = error as? BlockStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, self.databasePath)
            XCTAssertTrue("\(error)".contains(self.databasePath))
            XCTAssertTrue("\(error)".contains("--reindex"))
        }
    }

    func testDamagedPageFailsTheIntegrityCheck() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        var parent = Fixtures.genesisHash
        for height in 1...40 {
            let (hash, message) = block(height: height, size: 3_000, parent: parent)
            try store.writer.insert(hash: hash, height: height, message: message)
            parent = hash
        }
        try store.checkpoint()
        store.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: databasePath))
        let size = try handle.seekToEnd()
        XCTAssertGreaterThan(size, 64 * 1024)
        // Overwrite the pages in the middle of the file (b-tree pages of the blocks table).
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0xA5, count: 16 * 4096))
        try handle.close()
        XCTAssertThrowsError(try BlockStore(directory: directory, network: .regtest)) { error in
            guard case .corrupt? = error as? BlockStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--reindex"))
        }
    }

    func testStoreOfAnotherNetworkIsRefused() throws {
        try BlockStore(directory: directory, network: .regtest).close()
        XCTAssertThrowsError(try BlockStore(directory: directory, network: .testnet)) { error in
            XCTAssertEqual(
                error as? BlockStoreError,
                .wrongNetwork(path: self.databasePath, expected: "testnet", found: "regtest"))
        }
    }

    func testConcurrentReadsDuringWrites() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        var hashes = [Hash256]()
        var parent = Fixtures.genesisHash
        for height in 1...20 {
            let (hash, message) = block(height: height, parent: parent)
            try store.writer.insert(hash: hash, height: height, message: message)
            hashes.append(hash)
            parent = hash
        }
        let expected = hashes
        let failures = ConcurrentCounter()
        let more = (21...40).reduce(into: [(Hash256, BlockMessage)]()) { list, height in
            list.append(block(height: height, parent: list.last?.0 ?? expected.last!))
        }
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                for (offset, (hash, message)) in more.enumerated()
                where (try? store.writer.insert(hash: hash, height: 21 + offset, message: message)) != true {
                    failures.increment()
                }
            } else {
                for _ in 0..<10 {
                    for hash in expected where (try? store.reader.payload(for: hash)) == nil { failures.increment() }
                }
            }
        }
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(try store.reader.statistics().blockCount, 40)
    }
}

/// A thread-safe counter for the concurrency test.
final class ConcurrentCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
