import DilithionWire
import Foundation
import GRDB

/// The block store: one SQLite file (`blocks.sqlite`) in WAL mode, accessed through a GRDB
/// `DatabasePool`, so that reads (serving `getdata`) run concurrently with the single writer and on
/// any thread.
///
/// Schema: `blocks(hash PRIMARY KEY, height, header, payload, size, checksum)` where `payload` is the
/// full `block` message payload and `checksum` its frame checksum (PROTOCOL.md §2: the first 4 bytes
/// of SHA3-256(SHA3-256(payload))), and `meta(key, value)` holding the network magic and schema
/// version. The checksum is kept so that serving a block (``servingPayload(for:)``) hashes nothing:
/// a block received from a peer stores the checksum its frame was verified against. Stores of schema
/// 1 (no checksum column) are migrated on open; their rows get a checksum the first time they are
/// served.
/// ``insert(hash:height:message:)`` returns only after its transaction committed: a block counts as
/// stored from then on; a ``BlockWriteBatch`` is written in one transaction, all or nothing. A crash at any moment leaves either the whole transaction or nothing
/// (SQLite's WAL recovery runs when the file is next opened); on open, `PRAGMA quick_check` and the
/// meta network are verified.
///
/// Durability: by default `synchronous = NORMAL`, which survives the process being killed at any
/// point (the OS holds committed pages); `fullSync` adds an fsync per commit for power loss.
public final class BlockStore: Sendable {
    /// The database file's name inside the data directory.
    public static let fileName = "blocks.sqlite"
    /// The schema this code writes and reads.
    public static let schemaVersion = 2

    /// Most of the file a reader connection maps (SQLite lowers it to its compile-time maximum).
    static let readerMappingBytes = 1 << 40

    /// Full path of the database file.
    public let path: String
    /// The network whose blocks this store holds (checked against the meta table on open).
    public let network: Network
    let pool: DatabasePool

    /// Opens (creating when missing) the store in `directory` for `network`.
    ///
    /// - Throws: ``BlockStoreError/corrupt(path:detail:)`` when the integrity check fails (the
    ///   message names the file and `--reindex`), ``BlockStoreError/wrongNetwork(path:expected:found:)``,
    ///   or another ``BlockStoreError``.
    public convenience init(directory: String, network: Network, fullSync: Bool = false) throws(BlockStoreError) {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: path, detail: "cannot create the directory: \(error.localizedDescription)")
        }
        try self.init(path: path, network: network, fullSync: fullSync, checkIntegrity: true)
    }

    init(path: String, network: Network, fullSync: Bool, checkIntegrity: Bool) throws(BlockStoreError) {
        self.path = path
        self.network = network
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "BlockStore"
        // Reader connections (serving `getdata`) map the file instead of reading pages with a
        // system call each: a 1 MiB block spans 256 overflow pages, and `pread` into SQLite's page
        // cache would add a kernel copy and a syscall per page to the one copy into the frame
        // (``servingFrame(for:)``). The writer keeps plain reads. SQLite caps the mapping at its
        // build's maximum (2 GiB on Debian); pages beyond it, or in the WAL, are read as before.
        configuration.prepareDatabase { db in
            if db.configuration.readonly { try db.execute(sql: "PRAGMA mmap_size = \(Self.readerMappingBytes)") }
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Only the writer connection commits; GRDB sets NORMAL on WAL pools after any
            // `prepareDatabase` hook, so the setting is applied here.
            let synchronous = fullSync ? "FULL" : "NORMAL"
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        } catch {
            throw Self.mapped(error, path: path, operation: "open")
        }
        if checkIntegrity { try verifyIntegrity() }
        try createSchema()
    }

    /// Copies the WAL into the main file and truncates it (SQLite also does this on its own as the
    /// WAL grows; reindex and tests call it to leave a single self-contained file).
    public func checkpoint() throws(BlockStoreError) {
        try run("checkpoint") { try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) } }
    }

    /// Closes the database (further calls fail). Deinitialisation closes it too.
    public func close() {
        try? pool.close()
    }

    // MARK: Writing

    /// Stores a block; returns false when it was already stored (nothing written). Returns only
    /// after the transaction committed.
    ///
    /// - Parameter payloadChecksum: the frame checksum the block's `block` payload was verified
    ///   against on receipt, with that payload's length. It is kept when the payload this store
    ///   writes (the message encoded again) has the same length, and so the same bytes: the header
    ///   and blob are written back verbatim and a CompactSize of a given length has one encoding.
    ///   Otherwise (or when nil) the checksum is computed here.
    @discardableResult
    public func insert(
        hash: Hash256, height: Int, message: BlockMessage, payloadChecksum: PayloadChecksum? = nil
    ) throws(BlockStoreError) -> Bool {
        try insert(hash: hash, height: height, message: message, payloadChecksum: payloadChecksum, beforeCommit: nil)
    }

    /// ``insert(hash:height:message:)`` with a hook that runs inside the transaction after the row
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
                    let payload = Message.block(block.message).encodePayload()
                    let checksum = block.payloadChecksum.flatMap { $0.payloadCount == payload.count ? $0.checksum : nil }
                        ?? SHA3.checksum(payload)
                    try statement.execute(arguments: [
                        Data(block.hash.internalBytes), block.height, Data(block.message.header.serialized), Data(payload),
                        payload.count, Int64(checksum),
                    ])
                    inserted.append(db.changesCount > 0)
                }
                try beforeCommit?()
                return inserted
            }
        }
    }

    /// Removes a block (used by reindex for blocks that fail re-validation).
    func remove(hash: Hash256) throws(BlockStoreError) {
        try run("remove block \(hash)") {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM blocks WHERE hash = ?", arguments: [Data(hash.internalBytes)])
            }
        }
    }

    // MARK: Reading (any thread, concurrent with writes)

    /// The stored `block` payload with its frame checksum, for serving without hashing, or nil. A
    /// row from before schema 2 has no checksum yet: it is computed now and stored with the row,
    /// once.
    public func servingPayload(for hash: Hash256) throws(BlockStoreError) -> PayloadWithChecksum? {
        let key = Data(hash.internalBytes)
        let row: (payload: [UInt8], checksum: Int64?)? = try run("read block \(hash)") {
            try pool.read { db in
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

    /// The stored `block` payload (header ‖ cs(L) ‖ blob), or nil.
    public func payload(for hash: Hash256) throws(BlockStoreError) -> [UInt8]? {
        try run("read block \(hash)") {
            try pool.read { db in
                try Data.fetchOne(db, sql: "SELECT payload FROM blocks WHERE hash = ?", arguments: [Data(hash.internalBytes)])
                    .map { [UInt8]($0) }
            }
        }
    }

    /// True when the block is stored.
    public func contains(_ hash: Hash256) throws(BlockStoreError) -> Bool {
        try run("look up block \(hash)") {
            try pool.read { db in
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
            try pool.read { db in
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
            try pool.read { db in
                let row = try Row.fetchOne(
                    db, sql: "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MAX(height), -1) FROM blocks")
                return BlockStoreStatistics(
                    blockCount: row?[0] ?? 0, totalBytes: row?[1] ?? 0, highestStoredHeight: row?[2] ?? -1)
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

    // MARK: Opening

    private func verifyIntegrity() throws(BlockStoreError) {
        let result: [String] = try run("integrity check") {
            try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        }
        if result != ["ok"] {
            throw .corrupt(path: path, detail: "quick_check: " + result.prefix(3).joined(separator: "; "))
        }
    }

    private func createSchema() throws(BlockStoreError) {
        let magic = String(network.magic.value, radix: 16)
        let stored: (magic: String?, version: Int?) = try run("create schema") {
            try pool.write { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS blocks (
                            hash BLOB PRIMARY KEY NOT NULL, height INTEGER NOT NULL, header BLOB NOT NULL,
                            payload BLOB NOT NULL, size INTEGER NOT NULL, checksum INTEGER)
                        """)
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS blocks_by_height ON blocks (height)")
                try db.execute(
                    sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('network_magic', ?), ('schema_version', ?)",
                    arguments: [magic, String(Self.schemaVersion)])
                let storedMagic = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'network_magic'")
                var storedVersion = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'")
                    .flatMap { Int($0) }
                if storedVersion == 1, storedMagic == magic {
                    // Schema 1 → 2: the checksum column, filled in as rows are first served.
                    try db.execute(sql: "ALTER TABLE blocks ADD COLUMN checksum INTEGER")
                    try db.execute(
                        sql: "UPDATE meta SET value = ? WHERE key = 'schema_version'", arguments: [String(Self.schemaVersion)])
                    storedVersion = Self.schemaVersion
                }
                return (storedMagic, storedVersion)
            }
        }
        if stored.magic != magic {
            let found = stored.magic.flatMap { UInt32($0, radix: 16) }.flatMap { Network(magic: NetworkMagic($0)) }
            throw .wrongNetwork(
                path: path, expected: network.rawValue, found: found?.rawValue ?? "magic \(stored.magic ?? "none")")
        }
        if stored.version != Self.schemaVersion { throw .unsupportedSchema(path: path, found: stored.version ?? -1) }
    }

    // MARK: Errors

    func run<T>(_ operation: String, _ body: () throws -> T) throws(BlockStoreError) -> T {
        do {
            return try body()
        } catch {
            throw Self.mapped(error, path: path, operation: operation)
        }
    }

    static func mapped(_ error: any Error, path: String, operation: String) -> BlockStoreError {
        if let error = error as? BlockStoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return .corrupt(path: path, detail: "\(operation): \(error.message ?? error.resultCode.description)")
            case .SQLITE_CANTOPEN:
                return .cannotOpen(path: path, detail: error.message ?? error.resultCode.description)
            default: break
            }
        }
        return .database(path: path, operation: operation, detail: "\(error)")
    }
}
