/// Why the cookie could not be written or read.
public enum CookieFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node could not write it (permissions, full disk).
    case cannotWrite(path: String, reason: String)
    /// The client could not read it (node not running, other user, wrong `--datadir`).
    case cannotRead(path: String, reason: String)
    /// The file is not `user:password`.
    case malformed(path: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): return "cannot write the RPC cookie \(path): \(reason)"
        case let .cannotRead(path, reason): return "cannot read the RPC cookie \(path): \(reason) (is the node running with this --datadir?)"
        case let .malformed(path): return "the RPC cookie \(path) is not user:password"
        }
    }
}
