/// Why the HTTP server could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A listening socket could not be created or bound (e.g. the port is in use).
    case cannotListen(address: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotListen(address, reason): return "cannot listen on \(address): \(reason)"
        }
    }
}
