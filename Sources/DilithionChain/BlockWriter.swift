import DilithionWire
import Foundation
import GRDB

/// The block store's write path: blocks stored one by one or a ``BlockWriteBatch`` in one
/// transaction, rows removed by reindex. Every write returns only after its transaction committed.
///
/// Threads: callable from any thread. It owns no state besides the pool's single writer
/// connection, on which GRDB serialises every write (a caller waits for the one before it); the
/// writer keeps plain reads (no mapping, unlike ``BlockReader``).
public final class BlockWriter: Sendable {
    /// Full path of the database file (for errors).
    let path: String
    let pool: DatabasePool

    init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    /// Stores a block; returns false when it was already stored (nothing written). Returns only
    /// after the transaction committed.
    ///
    /// - Parameter payloadChecksum: the frame checksum the block's `block` payload was verified
    ///   against on receipt, with that payload's length (and the payload, when the receiver kept
    ///   it). When that length is the message's encoded length (``BlockMessage/encodedPayloadSize``)
    ///   the received payload is the message's encoding byte for byte (the header and blob are
    ///   verbatim, and a CompactSize of a given length has one encoding): the received bytes are
    ///   written as they are (no encoding, no copy) and the checksum is kept. Otherwise (or when
    ///   nil) the message is encoded again and its checksum computed here.
    @discardableResult
    public func insert(
        hash: Hash256, height: Int, message: BlockMessage, payloadChecksum: PayloadChecksum? = nil
    ) throws(BlockStoreError) -> Bool {
        try insert(hash: hash, height: height, message: message, payloadChecksum: payloadChecksum, beforeCommit: nil)
    }

    /// ``insert(hash:height:message:payloadChecksum:)`` with a hook that runs inside the transaction after the row
    /// was written: the crash tests snapshot the files there and throw to abandon the transaction.
    func insert(
        hash: Hash256, height: Int, message: BlockMessage, payloadChecksum: PayloadChecksum? = nil,
        beforeCommit: (() throws -> Void)?
    ) throws(BlockStoreError) -> Bool {
        let block = StagedBlock(hash: hash, height: height, message: message, payloadChecksum: payloadChecksum)
        return try insert([block], beforeCommit: beforeCommit)[0]
    }

    /// Stores `blocks` in one transaction, in their order (``BlockWriteBatch``): all of them or, on
    /// a failure or a crash before the commit, none. Returns only after the commit, per block
    /// whether it was new. The checksum rule is ``insert(hash:height:message:payloadChecksum:)``'s.
    /// `beforeCommit` runs inside the transaction after the last row (the crash tests).
    @discardableResult
    func insert(_ blocks: [StagedBlock], beforeCommit: (() throws -> Void)? = nil) throws(BlockStoreError) -> [Bool] {
        let first = blocks.first.map { "\($0.hash)" } ?? "none"
        return try run("insert \(blocks.count) blocks from \(first)") {
            try pool.write { db in
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO blocks (hash, height, header, payload, size, checksum)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """)
                var inserted = [Bool]()
                inserted.reserveCapacity(blocks.count)
                for block in blocks {
                    let (payload, checksum) = Self.storedPayload(of: block)
                    try payload.withUnsafeBytes { raw in
                        // GRDB binds a blob argument without copying it (for the statement's run
                        // only), and this `Data` only borrows the array's bytes for that long.
                        let borrowed = Data(
                            bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count,
                            deallocator: .none)
                        try statement.execute(arguments: [
                            Data(block.hash.internalBytes), block.height, Data(block.message.header.serialized), borrowed,
                            payload.count, Int64(checksum),
                        ])
                    }
                    inserted.append(db.changesCount > 0)
                }
                try beforeCommit?()
                return inserted
            }
        }
    }

    /// The payload bytes to store for `block` and their frame checksum: the received payload as it
    /// came when it is the message's encoding (same length, see
    /// ``insert(hash:height:message:payloadChecksum:)``), else the message encoded again, with the
    /// received checksum when the lengths match and a computed one otherwise.
    static func storedPayload(of block: StagedBlock) -> (payload: [UInt8], checksum: UInt32) {
        let encodedSize = block.message.encodedPayloadSize
        if let received = block.payloadChecksum, received.payloadCount == encodedSize {
            if let bytes = received.receivedPayload, bytes.count == encodedSize { return (bytes, received.checksum) }
            return (Message.block(block.message).encodePayload(), received.checksum)
        }
        let payload = Message.block(block.message).encodePayload()
        return (payload, SHA3.checksum(payload))
    }

    /// Removes a block (used by reindex for blocks that fail re-validation).
    func remove(hash: Hash256) throws(BlockStoreError) {
        try run("remove block \(hash)") {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM blocks WHERE hash = ?", arguments: [Data(hash.internalBytes)])
            }
        }
    }

    /// The writer connection's journal mode and `PRAGMA synchronous` (1 NORMAL, 2 FULL), for tests.
    func durabilitySettings() throws(BlockStoreError) -> (journalMode: String, synchronous: Int) {
        try run("read pragmas") {
            try pool.writeWithoutTransaction { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
            }
        }
    }

    private func run<T>(_ operation: String, _ body: () throws -> T) throws(BlockStoreError) -> T {
        try BlockStoreError.catching(path: path, operation, body)
    }
}
