/// Why the data directory lock was not taken.
public enum LockFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds it: another node runs on this data directory.
    case alreadyLocked(path: String)
    /// The file could not be created or locked (permissions, missing directory).
    case cannotOpen(path: String, reason: String)

    /// Exit status of `dilithion-node` for both (a runtime condition, not a usage error).
    public static let exitCode: Int32 = 1

    public var description: String {
        switch self {
        case .alreadyLocked(let path):
            return "cannot lock \(path): another dilithion-node is already running with this data directory"
        case let .cannotOpen(path, reason):
            return "cannot lock \(path): \(reason)"
        }
    }
}
