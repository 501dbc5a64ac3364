/// One parsed HTTP/1.x request.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `POST` (case as sent; methods are case-sensitive).
    public var method: String
    /// The request target, e.g. `/` or `/metrics`.
    public var target: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    /// Header fields in order, names lower-cased.
    public var headers: [(name: String, value: String)]
    /// The body (`Content-Length` bytes).
    public var body: [UInt8]
    /// The client's numeric address as the server's socket saw it (IPv4-mapped IPv6 addresses as
    /// IPv4), e.g. `127.0.0.1`; empty when the request did not come from a socket (tests, fuzzing).
    public var clientAddress: String

    /// Creates a request.
    public init(method: String, target: String, version: String, headers: [(name: String, value: String)], body: [UInt8],
                clientAddress: String = "") {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name == lowered }?.value
    }

    /// Whether the client wants the connection kept open after the response (HTTP/1.1 default
    /// unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    public var wantsKeepAlive: Bool {
        let connection = header("connection")?.lowercased() ?? ""
        if version == "HTTP/1.0" { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }
}
