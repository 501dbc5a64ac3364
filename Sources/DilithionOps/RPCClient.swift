#if canImport(Glibc)
import Glibc
#endif

/// A blocking JSON-RPC client over HTTP/1.1 (one connection per call), for `dilithion-cli` and tests.
public struct RPCClient: Sendable {
    /// Largest reply read (`getblock` of a 4 MiB block in hex is 8 MiB).
    public static let maxReplyBytes = 64 << 20

    /// The server.
    public let endpoint: Endpoint
    /// HTTP Basic credentials (the cookie's or `rpcuser`/`rpcpassword`).
    public let credentials: RPCCredentials?
    /// Send and receive timeout per socket operation.
    public let timeoutSeconds: Double

    /// A client for `endpoint`.
    public init(endpoint: Endpoint, credentials: RPCCredentials?, timeoutSeconds: Double = 900) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.timeoutSeconds = timeoutSeconds
    }

    /// Calls `method` and returns its result, or throws the node's error as ``RPCClientError/rpc(_:)``.
    public func call(_ method: String, params: [JSON]) throws(RPCClientError) -> JSON {
        let request: JSON = .object([
            ("jsonrpc", .string("1.0")), ("id", .string("dilithion-cli")),
            ("method", .string(method)), ("params", .array(params)),
        ])
        let (status, body) = try post(Array(request.compactText.utf8))
        if status == 401 { throw .unauthorized }
        guard let reply = try? JSONParser.parse(body), case .object = reply else {
            throw .badReply(status: status, body: String(decoding: body.prefix(200), as: UTF8.self))
        }
        if let error = reply["error"], !error.isNull {
            let code = error["code"]?.intValue ?? -1
            throw .rpc(RPCError(code: Int(code), message: error["message"]?.stringValue ?? error.compactText))
        }
        return reply["result"] ?? .null
    }

    /// Sends one POST and returns the status and body.
    public func post(_ body: [UInt8]) throws(RPCClientError) -> (Int, [UInt8]) {
        guard let address = endpoint.socketAddress else {
            throw .cannotConnect(address: endpoint.description, reason: "not a numeric IP address")
        }
        let fd = socket(address.addressFamily, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(address: endpoint.description, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        HTTPSockets.setTimeout(fd, option: SO_RCVTIMEO, seconds: timeoutSeconds)
        HTTPSockets.setTimeout(fd, option: SO_SNDTIMEO, seconds: timeoutSeconds)
        guard HTTPSockets.connect(fd, to: address) == 0 else {
            throw .cannotConnect(address: endpoint.description, reason: String(cString: strerror(errno)))
        }
        var head = "POST / HTTP/1.1\r\nHost: \(endpoint.description)\r\nContent-Type: application/json\r\n"
        if let credentials { head += "Authorization: \(RPCAuthenticator.basicHeader(for: credentials))\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Array(head.utf8) + body
        var offset = 0
        while offset < request.count {
            let sent = request.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else {
                if sent < 0 && errno == EINTR { continue }
                throw .transport("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw .transport("receive: \(String(cString: strerror(errno)))")
            }
            reply.append(contentsOf: chunk[0..<count])
            guard reply.count <= Self.maxReplyBytes else { throw .transport("reply larger than \(Self.maxReplyBytes) bytes") }
        }
        return try Self.parseReply(reply)
    }

    /// Splits a `Connection: close` reply into status and body (the body is everything after the
    /// header block, cut to `Content-Length` when given).
    static func parseReply(_ reply: [UInt8]) throws(RPCClientError) -> (Int, [UInt8]) {
        guard let end = (0..<max(0, reply.count - 3)).first(where: {
            reply[$0] == 0x0D && reply[$0 + 1] == 0x0A && reply[$0 + 2] == 0x0D && reply[$0 + 3] == 0x0A
        }) else {
            throw .transport("incomplete HTTP reply (\(reply.count) bytes)")
        }
        let head = String(decoding: reply[0..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .transport("malformed HTTP status line")
        }
        var body = Array(reply[(end + 4)...])
        for line in head.split(separator: "\r\n").dropFirst() {
            let pieces = line.split(separator: ":", maxSplits: 1)
            if pieces.count == 2, pieces[0].lowercased() == "content-length",
               let length = Int(pieces[1].trimmingWhitespace()), length <= body.count {
                body = Array(body[0..<length])
            }
        }
        return (status, body)
    }
}
