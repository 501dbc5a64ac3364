import DilithionWire
import Foundation
import GRDB
import GRDBSQLite

/// Several blocks served from one read transaction: what answering a `getdata` batch costs the
/// store (``BlockReader/withServingSession(_:)``).
///
/// Serving small blocks one read transaction each spent more on the transaction (a reader
/// connection taken and given back, `BEGIN`/`COMMIT`, the file guard's `fstat`, the lookup's SQL
/// compiled again) than on the block. Here the lookup is one cached prepared statement, run once
/// per block, and the payload is read with one incremental-blob handle moved from row to row
/// (`sqlite3_blob_reopen`), straight into the frame's own array behind a header written from the
/// stored checksum, as ``BlockReader/servingFrame(for:)`` does for one block.
///
/// A row from before schema 2 has no checksum yet: it is computed here from the bytes read, and
/// stored with the row after the transaction (``pendingChecksums``), once.
///
/// Threads: only inside the `withServingSession` closure that created it, on that thread.
public final class BlockServingSession {
    private let database: Database
    /// `SELECT rowid, checksum FROM blocks WHERE hash = ?`, from the connection's statement cache.
    private let lookup: Statement
    private let magic: NetworkMagic
    private let path: String
    /// The open incremental-blob handle, moved to each row served; closed with the session.
    private var blob: OpaquePointer?
    /// Checksums computed for rows that had none (schema 1), to be stored after the transaction.
    private(set) var pendingChecksums: [(hash: Hash256, checksum: UInt32)] = []

    init(database: Database, magic: NetworkMagic, path: String) throws {
        self.database = database
        self.magic = magic
        self.path = path
        lookup = try database.cachedStatement(sql: "SELECT rowid, checksum FROM blocks WHERE hash = ?")
    }

    deinit { sqlite3_blob_close(blob) }

    /// Block `hash` as a finished `block` frame (header with the stored checksum ‖ payload), or
    /// nil when it is not stored.
    public func frame(for hash: Hash256) throws -> EncodedFrame? {
        guard let (rowID, storedChecksum) = try locate(hash) else { return nil }
        let count = try openPayload(rowID: rowID)
        if let checksum = storedChecksum {
            return try EncodedFrame(magic: magic, command: Command.block, payloadCount: count, checksum: checksum) {
                try readPayload(into: $0)
            }
        }
        var payload = [UInt8](repeating: 0, count: count)
        try payload.withUnsafeMutableBytes { try readPayload(into: $0) }
        let checksum = SHA3.checksum(payload)
        pendingChecksums.append((hash, checksum))
        return payload.withUnsafeBytes { EncodedFrame(magic: magic, command: Command.block, payload: $0, checksum: checksum) }
    }

    /// The row id and stored checksum (nil for a schema-1 row) of block `hash`, or nil.
    private func locate(_ hash: Hash256) throws -> (rowID: Int64, checksum: UInt32?)? {
        let statement = lookup.sqliteStatement
        // The key column holds the 32 internal-order bytes: the four words, little-endian. Bound
        // without a copy (SQLITE_STATIC), so the statement runs and is reset inside this closure.
        var key = (hash.w0.littleEndian, hash.w1.littleEndian, hash.w2.littleEndian, hash.w3.littleEndian)
        let (status, row) = withUnsafeBytes(of: &key) { key -> (Int32, (Int64, Int64?)?) in
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            let bound = sqlite3_bind_blob(statement, 1, key.baseAddress, Int32(key.count), nil)
            guard bound == SQLITE_OK else { return (bound, nil) }
            let stepped = sqlite3_step(statement)
            guard stepped == SQLITE_ROW else { return (stepped, nil) }
            let checksum = sqlite3_column_type(statement, 1) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, 1)
            return (SQLITE_OK, (sqlite3_column_int64(statement, 0), checksum))
        }
        if status == SQLITE_DONE { return nil }
        try check(status, "look up block \(hash)")
        guard let (rowID, stored) = row else { return nil }
        guard let stored else { return (rowID, nil) }
        guard let checksum = UInt32(exactly: stored) else {
            throw BlockStoreError.corrupt(path: path, detail: "block \(hash) has checksum \(stored), not 32 bits")
        }
        return (rowID, checksum)
    }

    /// Points the blob handle at row `rowID`'s payload; returns its length.
    private func openPayload(rowID: Int64) throws -> Int {
        if let blob {
            let status = sqlite3_blob_reopen(blob, rowID)
            if status != SQLITE_OK {
                // A failed reopen leaves the handle aborted: only closing it is allowed.
                sqlite3_blob_close(blob)
                self.blob = nil
                try check(status, "sqlite3_blob_reopen")
            }
        } else {
            try check(
                sqlite3_blob_open(database.sqliteConnection, "main", "blocks", "payload", rowID, 0, &blob),
                "sqlite3_blob_open")
        }
        let count = Int(sqlite3_blob_bytes(blob))
        guard count <= Limits.maxMessagePayload else {
            throw BlockStoreError.corrupt(path: path, detail: "a stored block of \(count) bytes, over the frame limit")
        }
        return count
    }

    /// Reads the whole payload the blob handle points at into `room` (exactly its length).
    private func readPayload(into room: UnsafeMutableRawBufferPointer) throws {
        guard !room.isEmpty else { return }
        try check(sqlite3_blob_read(blob, room.baseAddress, Int32(room.count), 0), "sqlite3_blob_read")
    }

    private func check(_ status: Int32, _ operation: @autoclosure () -> String) throws {
        guard status == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: status),
                message: "\(operation()): \(String(cString: sqlite3_errmsg(database.sqliteConnection)))")
        }
    }
}
