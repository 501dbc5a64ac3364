import DilithionWire
import Foundation
import GRDB

/// The block store's read path: serving payloads and frames (``servingFrame(for:)``), lookups, the
/// stored headers the chain is rebuilt from, and totals. Reads run on the pool's reader
/// connections, concurrently with the writer and with each other, from any thread.
///
/// Reader connections map the file (`PRAGMA mmap_size`): a 1 MiB block spans 256 overflow pages,
/// and `pread` into SQLite's page cache would add a system call and a kernel copy per page to the
/// one copy into the frame. ``MappedFileGuard`` switches the mapping off for good if the file is
/// ever seen to shrink (a truncated file would otherwise fault with SIGBUS).
///
/// Threads: any. It owns no mutable state of its own; the pool's reader connections are GRDB's
/// (one per concurrent read), the guard's state is atomic.
public final class BlockReader: Sendable {
    /// Most of the file a reader connection maps (SQLite lowers it to its compile-time maximum).
    static let mappingBytes = 1 << 40

    /// Full path of the database file (for errors).
    let path: String
    /// The network whose blocks the store holds (frames carry its magic).
    let network: Network
    let pool: DatabasePool
    let fileGuard: MappedFileGuard

    init(path: String, network: Network, pool: DatabasePool) {
        self.path = path
        self.network = network
        self.pool = pool
        fileGuard = MappedFileGuard(path: path)
    }

    /// True once the file was seen to shrink while open: reads no longer use the mapping (and a
    /// block whose pages are gone reads as ``BlockStoreError/corrupt(path:detail:)``).
    public var isMappingDisabled: Bool { fileGuard.isMappingDisabled }

    /// A read transaction on a reader connection, with the mapping switched off first when the
    /// file is no longer known to be whole (``MappedFileGuard``).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let mapped = fileGuard.mappingIsSafe()
        return try pool.read { db in
            // Before any page is touched in this transaction, so no mapped page is out.
            if !mapped { try db.execute(sql: "PRAGMA mmap_size = 0") }
            return try body(db)
        }
    }


    /// The stored `block` payload with its frame checksum, for serving without hashing, or nil. A
    /// row from before schema 2 has no checksum yet: it is computed now and stored with the row,
    /// once.
    public func servingPayload(for hash: Hash256) throws(BlockStoreError) -> PayloadWithChecksum? {
        let key = Data(hash.internalBytes)
        let row: (payload: [UInt8], checksum: Int64?)? = try run("read block \(hash)") {
            try read { db in
                try Row.fetchOne(db, sql: "SELECT payload, checksum FROM blocks WHERE hash = ?", arguments: [key])
                    .map { row in ([UInt8](row[0] as Data), row[1]) }
            }
        }
        guard let row else { return nil }
        if let stored = row.checksum, let checksum = UInt32(exactly: stored) {
            return PayloadWithChecksum(payload: row.payload, checksum: checksum)
        }
        let checksum = SHA3.checksum(row.payload)
        try run("store checksum of block \(hash)") {
            try pool.write { db in
                try db.execute(sql: "UPDATE blocks SET checksum = ? WHERE hash = ?", arguments: [Int64(checksum), key])
            }
        }
        return PayloadWithChecksum(payload: row.payload, checksum: checksum)
    }

    /// Runs `body` with a ``BlockServingSession``: one read transaction in which any number of
    /// blocks are read as finished frames (a `getdata` batch), instead of one transaction each.
    /// Checksums the session computed for schema-1 rows are stored afterwards, in one write.
    ///
    /// The file guard looks once, before the transaction; the window in which a truncation could
    /// still fault is this one transaction (``MappedFileGuard``), so callers keep it short.
    public func withServingSession<T>(_ body: (BlockServingSession) throws -> T) throws(BlockStoreError) -> T {
        let (result, pending) = try run("serve blocks") {
            try read { db in
                let session = try BlockServingSession(database: db, magic: network.magic, path: path)
                return (try body(session), session.pendingChecksums)
            }
        }
        if !pending.isEmpty {
            try run("store checksums of \(pending.count) blocks") {
                try pool.write { db in
                    for (hash, checksum) in pending {
                        try db.execute(
                            sql: "UPDATE blocks SET checksum = ? WHERE hash = ?",
                            arguments: [Int64(checksum), Data(hash.internalBytes)])
                    }
                }
            }
        }
        return result
    }

    /// The stored `block` payload (header ‖ cs(L) ‖ blob), or nil.
    public func payload(for hash: Hash256) throws(BlockStoreError) -> [UInt8]? {
        try run("read block \(hash)") {
            try read { db in
                try Data.fetchOne(db, sql: "SELECT payload FROM blocks WHERE hash = ?", arguments: [Data(hash.internalBytes)])
                    .map { [UInt8]($0) }
            }
        }
    }

    /// True when the block is stored.
    public func contains(_ hash: Hash256) throws(BlockStoreError) -> Bool {
        try run("look up block \(hash)") {
            try read { db in
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS(SELECT 1 FROM blocks WHERE hash = ?)", arguments: [Data(hash.internalBytes)])
                    ?? false
            }
        }
    }

    /// Every stored block's hash, height and header, by height then storage order (parents first
    /// when both are stored). Headers that no longer decode are skipped (reindex repairs those).
    public func storedHeaders() throws(BlockStoreError) -> [StoredHeader] {
        try run("read headers") {
            try read { db in
                var result = [StoredHeader]()
                let rows = try Row.fetchCursor(db, sql: "SELECT hash, height, header FROM blocks ORDER BY height, rowid")
                while let row = try rows.next() {
                    let hashData: Data = row[0]
                    let headerData: Data = row[2]
                    guard hashData.count == 32 else { continue }
                    var reader = ByteReader([UInt8](headerData))
                    guard let header = try? BlockHeader.read(from: &reader) else { continue }
                    result.append(StoredHeader(hash: Hash256(internalBytes: hashData), height: row[1], header: header))
                }
                return result
            }
        }
    }

    /// Block count, bytes and highest stored height.
    public func statistics() throws(BlockStoreError) -> BlockStoreStatistics {
        try run("read statistics") {
            try read { db in
                let row = try Row.fetchOne(
                    db, sql: "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MAX(height), -1) FROM blocks")
                return BlockStoreStatistics(
                    blockCount: row?[0] ?? 0, totalBytes: row?[1] ?? 0, highestStoredHeight: row?[2] ?? -1)
            }
        }
    }

    func run<T>(_ operation: String, _ body: () throws -> T) throws(BlockStoreError) -> T {
        try BlockStoreError.catching(path: path, operation, body)
    }
}
