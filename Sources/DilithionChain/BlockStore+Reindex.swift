import DilithionWire
import Foundation
import GRDB

extension BlockStore {
    /// Suffix of the previous file while `--reindex` copies from it.
    static let reindexSourceSuffix = ".reindex-old"

    /// `--reindex`: moves the store file aside and copies every block that still reads and
    /// re-validates (decoding, ``BlockValidation/validate(_:expectedHash:legacyHasher:)``, hash
    /// recomputed) into a fresh file, then deletes the old one.
    ///
    /// Reading is tolerant of damage: SQLite first reads the table in rowid order (which needs no
    /// index, and sees the WAL); if it fails part-way (a torn end, garbage over a page) or cannot open
    /// the file at all, an ``SQLitePageScanner`` reads every table-leaf cell that survived from the
    /// file and its WAL, wherever SQLite's navigation broke. Blocks already copied are not validated
    /// twice. What is lost is reported (``ReindexReport/missingHeights``); the node's sync fetches it
    /// from peers, and stored blocks above a gap join the chain once the gap is filled. Interrupted,
    /// reindex resumes from the old file on the next run.
    public static func reindex(
        directory: String, network: Network, legacyHasher: (any LegacyHeaderHasher)?
    ) throws(BlockStoreError) -> ReindexReport {
        let path = (directory as NSString).appendingPathComponent(fileName)
        let sourcePath = path + reindexSourceSuffix
        let files = FileManager.default
        let companions = ["", "-wal", "-shm"]
        do {
            if files.fileExists(atPath: sourcePath) {
                // A previous reindex was interrupted: the old file is the source; the new one is partial.
                for suffix in companions where files.fileExists(atPath: path + suffix) {
                    try files.removeItem(atPath: path + suffix)
                }
            } else {
                for suffix in companions where files.fileExists(atPath: path + suffix) {
                    try files.moveItem(atPath: path + suffix, toPath: sourcePath + suffix)
                }
            }
        } catch {
            throw .cannotOpen(path: path, detail: "cannot move the old file aside: \(error.localizedDescription)")
        }

        let destination = try BlockStore(directory: directory, network: network)
        defer { destination.close() }
        var salvage = ReindexSalvage(
            destination: destination, genesisHash: network.parameters.genesisHash, legacyHasher: legacyHasher)
        if files.fileExists(atPath: sourcePath) {
            let readError: String?
            do throws(BlockStoreError) {
                readError = try readRows(path: sourcePath, network: network) { (height, payload) throws(BlockStoreError) in
                    if let height, let payload {
                        try salvage.offer(height: height, payload: payload)
                    } else {
                        salvage.skipUnreadableRow()
                    }
                }
            } catch {
                if case .wrongNetwork = error {
                    // Not ours to rebuild: put the file back untouched.
                    destination.close()
                    for suffix in companions {
                        try? files.removeItem(atPath: path + suffix)
                        try? files.moveItem(atPath: sourcePath + suffix, toPath: path + suffix)
                    }
                    throw error
                }
                // A failing write to the new file is ours to report, not damage in the old one (kept
                // for a retry).
                throw error
            }
            if let readError {
                salvage.readError = readError
                try salvage.scanPages(path: sourcePath, walPath: sourcePath + "-wal")
            }
        }
        for suffix in companions where files.fileExists(atPath: sourcePath + suffix) {
            try? files.removeItem(atPath: sourcePath + suffix)
        }
        return salvage.report
    }

    /// Reads the `blocks` table of the file at `path` through SQLite in rowid order, calling `body`
    /// with each row's height and payload (nil for a value that reads as NULL: a damaged row, which
    /// the schema's NOT NULL cannot rule out in a damaged file), and stops at the first read error.
    ///
    /// - Returns: nil when every row was read, else why reading stopped (or why the file could not
    ///   be opened).
    /// - Throws: ``BlockStoreError/wrongNetwork(path:expected:found:)`` when the file's meta table
    ///   names another network, and whatever `body` throws (failed writes to the new store).
    static func readRows(
        path: String, network: Network, _ body: (_ height: Int?, _ payload: [UInt8]?) throws(BlockStoreError) -> Void
    ) throws(BlockStoreError) -> String? {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path)
        } catch {
            return "\(error)"
        }
        defer { try? queue.close() }
        let magic = String(network.magic.value, radix: 16)
        if let stored = try? queue.read({ db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'network_magic'") }),
            stored != magic
        {
            let found = UInt32(stored, radix: 16).flatMap { Network(magic: NetworkMagic($0)) }
            throw .wrongNetwork(path: path, expected: network.rawValue, found: found?.rawValue ?? "magic \(stored)")
        }
        var failure: BlockStoreError?
        do {
            try queue.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT height, payload FROM blocks ORDER BY rowid")
                while let row = try rows.next() {
                    // Optional decodes: a non-optional one traps on NULL.
                    let height: Int? = row[0]
                    let payload: Data? = row[1]
                    do throws(BlockStoreError) {
                        try body(height, payload.map { [UInt8]($0) })
                    } catch {
                        failure = error
                        return
                    }
                }
            }
        } catch {
            return "\(error)"
        }
        if let failure { throw failure }
        return nil
    }
}
