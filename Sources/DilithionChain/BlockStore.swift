import DilithionWire
import Foundation
import GRDB
import GRDBSQLite

/// The block store: one SQLite file (`blocks.sqlite`) in WAL mode, accessed through a GRDB
/// `DatabasePool`, so that reads (serving `getdata`) run concurrently with the single writer and on
/// any thread. This type opens, checks, migrates, checkpoints and closes the file; reading and
/// serving are ``BlockReader``'s, writing ``BlockWriter``'s (``reader``, ``writer``).
///
/// Schema: `blocks(hash PRIMARY KEY, height, header, payload, size, checksum)` where `payload` is the
/// full `block` message payload and `checksum` its frame checksum (PROTOCOL.md §2: the first 4 bytes
/// of SHA3-256(SHA3-256(payload))), and `meta(key, value)` holding the network magic and schema
/// version. The checksum is kept so that serving a block (``BlockReader/servingFrame(for:)``) hashes
/// nothing: a block received from a peer stores the checksum its frame was verified against. Stores
/// of schema 1 (no checksum column) are migrated on open; their rows get a checksum the first time
/// they are served.
///
/// Writes return only after their transaction committed: a block counts as stored from then on; a
/// ``BlockWriteBatch`` is written in one transaction, all or nothing. A crash at any moment leaves
/// either the whole transaction or nothing (SQLite's WAL recovery runs when the file is next
/// opened); on open, `PRAGMA quick_check` and the meta network are verified.
///
/// Durability: by default `synchronous = NORMAL`, which survives the process being killed at any
/// point (the OS holds committed pages); `fullSync` adds an fsync per commit for power loss.
///
/// Threads: any; the stored properties are immutable, and GRDB serialises the pool's connections.
public final class BlockStore: Sendable {
    /// The database file's name inside the data directory.
    public static let fileName = "blocks.sqlite"
    /// The schema this code writes and reads.
    public static let schemaVersion = 2

    /// Full path of the database file.
    public let path: String
    /// The network whose blocks this store holds (checked against the meta table on open).
    public let network: Network
    let pool: DatabasePool
    /// The read and serving path (any thread, concurrent with writes).
    public let reader: BlockReader
    /// The write path (blocks and batches, each write committed before it returns).
    public let writer: BlockWriter
    /// WAL checkpoints off the committing thread (replaces SQLite's automatic checkpoint).
    let checkpointer: WALCheckpointer

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
        // Reader connections map the file (``BlockReader``); the writer keeps plain reads. SQLite
        // caps the mapping at its build's maximum (2 GiB on Debian); pages beyond it, or in the
        // WAL, are read as before.
        configuration.prepareDatabase { db in
            if db.configuration.readonly { try db.execute(sql: "PRAGMA mmap_size = \(BlockReader.mappingBytes)") }
        }
        let pool: DatabasePool
        let checkpointer = WALCheckpointer(path: path, fullSync: fullSync)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Only the writer connection commits; GRDB sets NORMAL on WAL pools after any
            // `prepareDatabase` hook, so the setting is applied here.
            let synchronous = fullSync ? "FULL" : "NORMAL"
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
                if let writer = db.sqliteConnection { checkpointer.install(on: writer) }
            }
        } catch {
            throw BlockStoreError.mapped(error, path: path, operation: "open")
        }
        self.pool = pool
        self.checkpointer = checkpointer
        reader = BlockReader(path: path, network: network, pool: pool)
        writer = BlockWriter(path: path, pool: pool)
        if checkIntegrity { try verifyIntegrity() }
        try createSchema()
    }

    /// Copies the WAL into the main file and truncates it (SQLite also does this on its own as the
    /// WAL grows; reindex and tests call it to leave a single self-contained file).
    public func checkpoint() throws(BlockStoreError) {
        // On the checkpointer's queue: a second checkpoint beside a running one fails with SQLITE_BUSY.
        let status = checkpointer.truncate()
        guard status == SQLITE_OK else {
            throw BlockStoreError.mapped(
                DatabaseError(resultCode: ResultCode(rawValue: status), message: "wal_checkpoint(TRUNCATE): \(status)"),
                path: path, operation: "checkpoint")
        }
    }

    /// Closes the database (further calls fail). Deinitialisation closes it too.
    public func close() {
        detachCheckpointer()
        try? pool.close()
    }

    deinit { detachCheckpointer() }

    /// Removes the writer's WAL hook (it refers to ``checkpointer`` unretained) and stops the
    /// checkpointer. Idempotent; a closed pool has no writer left to call the hook.
    private func detachCheckpointer() {
        pool.writeWithoutTransaction { db in
            if let writer = db.sqliteConnection { checkpointer.uninstall(from: writer) }
        }
        checkpointer.stop()
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

    func run<T>(_ operation: String, _ body: () throws -> T) throws(BlockStoreError) -> T {
        try BlockStoreError.catching(path: path, operation, body)
    }
}
