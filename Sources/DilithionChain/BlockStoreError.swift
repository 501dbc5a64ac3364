/// Why the block store could not be opened or used. Every case names the file; the corruption
/// case also names the fix.
public enum BlockStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file failed SQLite's integrity check or is not a database at all.
    case corrupt(path: String, detail: String)
    /// The file belongs to another network (its meta table holds another magic).
    case wrongNetwork(path: String, expected: String, found: String)
    /// The file was written by a newer, unknown schema.
    case unsupportedSchema(path: String, found: Int)
    /// The directory or file could not be created or opened.
    case cannotOpen(path: String, detail: String)
    /// A read or write failed for another reason (disk full, I/O error).
    case database(path: String, operation: String, detail: String)

    /// One line for logs and the command line.
    public var description: String {
        switch self {
        case .corrupt(let path, let detail):
            return "block store \(path) is corrupt (\(detail)); restart with --reindex to rebuild it from the "
                + "blocks that can still be read (or delete the file to sync again from peers)"
        case .wrongNetwork(let path, let expected, let found):
            return "block store \(path) belongs to network \(found), not \(expected); use another data directory"
        case .unsupportedSchema(let path, let found):
            return "block store \(path) has schema version \(found), which this version does not know"
        case .cannotOpen(let path, let detail):
            return "cannot open block store \(path): \(detail)"
        case .database(let path, let operation, let detail):
            return "block store \(path): \(operation) failed: \(detail)"
        }
    }
}
