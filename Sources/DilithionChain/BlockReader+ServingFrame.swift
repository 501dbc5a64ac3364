import DilithionWire
import Foundation
import GRDB
import GRDBSQLite

/// Serving a block without copying it around: the payload blob is read from SQLite once, straight
/// into the array that becomes the `block` frame, behind a header written from the stored checksum.
extension BlockReader {
    /// The stored block as a finished `block` frame (header with the stored checksum ‖ payload), or
    /// nil when the block is not stored.
    ///
    /// The payload is read with SQLite's incremental blob I/O (`sqlite3_blob_read`) into the
    /// frame's own buffer, so between the database pages and the socket there is this one copy
    /// (the engine writes from the returned array). A row from before schema 2 has no checksum yet:
    /// it goes through ``servingPayload(for:)``, which computes and stores it, once.
    public func servingFrame(for hash: Hash256) throws(BlockStoreError) -> EncodedFrame? {
        let key = Data(hash.internalBytes)
        let magic = network.magic
        let read: (frame: EncodedFrame?, needsChecksum: Bool)? = try run("read block \(hash)") {
            try self.read { db in
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT rowid, checksum FROM blocks WHERE hash = ?", arguments: [key])
                else { return nil }
                guard let stored = row[1] as Int64?, let checksum = UInt32(exactly: stored) else { return (nil, true) }
                let frame = try Self.readPayload(db, rowID: row[0], path: path) { count, fill in
                    try EncodedFrame(
                        magic: magic, command: Command.block, payloadCount: count, checksum: checksum, fillingPayload: fill)
                }
                return (frame, false)
            }
        }
        guard let read else { return nil }
        if let frame = read.frame { return frame }
        guard let migrated = try servingPayload(for: hash) else { return nil }
        return migrated.payload.withUnsafeBytes {
            EncodedFrame(magic: magic, command: Command.block, payload: $0, checksum: migrated.checksum)
        }
    }

    /// Opens row `rowID`'s `payload` blob, lets `build` allocate for its length, and reads the blob
    /// into the buffer `build` hands to its fill closure. Runs inside `db`'s read transaction, so
    /// it reads the same snapshot as the query that found the row.
    private static func readPayload(
        _ db: Database, rowID: Int64, path: String,
        build: (Int, (UnsafeMutableRawBufferPointer) throws -> Void) throws -> EncodedFrame
    ) throws -> EncodedFrame {
        var blob: OpaquePointer?
        let opened = sqlite3_blob_open(db.sqliteConnection, "main", "blocks", "payload", rowID, 0, &blob)
        defer { sqlite3_blob_close(blob) }
        guard opened == SQLITE_OK, let blob else {
            throw DatabaseError(resultCode: ResultCode(rawValue: opened), message: "sqlite3_blob_open: \(opened)")
        }
        let count = Int(sqlite3_blob_bytes(blob))
        guard count <= Limits.maxMessagePayload else {
            throw BlockStoreError.corrupt(path: path, detail: "a stored block of \(count) bytes, over the frame limit")
        }
        return try build(count) { room in
            guard count > 0 else { return }
            let status = sqlite3_blob_read(blob, room.baseAddress, Int32(count), 0)
            guard status == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: status), message: "sqlite3_blob_read: \(status)")
            }
        }
    }
}
