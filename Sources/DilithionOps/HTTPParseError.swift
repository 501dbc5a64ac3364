/// Why bytes from a client are not an acceptable HTTP request; each maps to the status sent back
/// before the connection is closed.
public enum HTTPParseError: Error, Sendable, Equatable {
    /// Malformed request line or header, or a bad `Content-Length`.
    case malformed(String)
    /// Request line and headers longer than the limit.
    case headersTooLarge
    /// `Content-Length` above the limit.
    case bodyTooLarge
    /// `Transfer-Encoding` (chunked bodies are not supported; clients send `Content-Length`).
    case unsupportedTransferEncoding
    /// Not HTTP/1.0 or HTTP/1.1.
    case unsupportedVersion

    /// The status code of the error response.
    public var status: Int {
        switch self {
        case .malformed: return 400
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        case .unsupportedVersion: return 505
        }
    }

    /// One line for the response body and the debug log.
    public var message: String {
        switch self {
        case .malformed(let why): return "malformed request: \(why)"
        case .headersTooLarge: return "request headers too large"
        case .bodyTooLarge: return "request body too large"
        case .unsupportedTransferEncoding: return "Transfer-Encoding is not supported; send Content-Length"
        case .unsupportedVersion: return "only HTTP/1.0 and HTTP/1.1 are supported"
        }
    }
}
