import DilithionWire
import Foundation

extension BlockStore {
    /// Suffix of the previous file while `--reindex` copies from it.
    static let reindexSourceSuffix = ".reindex-old"

    /// `--reindex`: moves the store file aside, re-validates every block it can still read
    /// (decoding, ``BlockValidation/validate(_:expectedHash:legacyHasher:)``, hash recomputed) into
    /// a fresh file, then deletes the old one. Works on a file that fails the integrity check: it
    /// keeps the blocks read before the first unreadable row. Interrupted, it resumes from the old
    /// file on the next run.
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
        var kept = 0
        var dropped = 0
        var readError: String?
        var writeError: BlockStoreError?
        if files.fileExists(atPath: sourcePath) {
            do {
                let source = try BlockStore(path: sourcePath, network: network, fullSync: false, checkIntegrity: false)
                defer { source.close() }
                let visit = source.forEachPayload { height, payload in
                    guard case .block(let message)? = try? Message.decode(command: Command.block, payload: payload),
                        (try? BlockValidation.validate(message, legacyHasher: legacyHasher)) != nil,
                        let hash = try? HeaderValidation.hash(message.header, legacyHasher: legacyHasher)
                    else {
                        dropped += 1
                        return
                    }
                    // The old height only orders rows; the header tree recomputes heights from linkage.
                    do throws(BlockStoreError) {
                        if try destination.insert(hash: hash, height: height, message: message) { kept += 1 }
                    } catch {
                        writeError = error
                        throw error
                    }
                }
                readError = visit.readError
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
                readError = error.description
            }
        }
        // A failing write to the new file is ours to report, not damage in the old one (kept for a retry).
        if let writeError { throw writeError }
        for suffix in companions where files.fileExists(atPath: sourcePath + suffix) {
            try? files.removeItem(atPath: sourcePath + suffix)
        }
        return ReindexReport(keptBlocks: kept, droppedBlocks: dropped, readError: readError)
    }
}
