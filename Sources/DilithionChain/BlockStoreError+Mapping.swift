import GRDB

/// Turning what SQLite and GRDB throw into ``BlockStoreError`` (one place for the reader, the
/// writer, opening and reindex).
extension BlockStoreError {
    /// Runs `body`, mapping whatever it throws with ``mapped(_:path:operation:)``.
    static func catching<T>(path: String, _ operation: String, _ body: () throws -> T) throws(BlockStoreError) -> T {
        do {
            return try body()
        } catch {
            throw mapped(error, path: path, operation: operation)
        }
    }

    /// A typed error for `error`, naming the file and the operation: corruption and "not a
    /// database" as ``corrupt(path:detail:)`` (whose message names `--reindex`), failures to open
    /// as ``cannotOpen(path:detail:)``, the rest as ``database(path:operation:detail:)``.
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
