/// Incremental HTTP/1.x request parser: append bytes as they arrive, take complete requests off
/// the front. Pure (no I/O), so limits and malformed input are tested without sockets.
///
/// Lengths are checked before anything is buffered beyond them: the header block may not exceed
/// `maxHeaderBytes`, and a `Content-Length` above `maxBodyBytes` is refused as soon as the headers
/// are read, before the body arrives. The search for the blank line resumes where the last one
/// stopped, so bytes dripped in one at a time cost linear time, not quadratic (a slow-loris client
/// must not be able to buy CPU with bandwidth).
public struct HTTPRequestParser {
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    /// Where the next search for `\r\n\r\n` starts: everything before it has been searched.
    private var searchedUpTo = 0
    /// The request at the front once its headers are parsed.
    private var pending: Head?

    /// A parser enforcing `configuration`'s header and body limits.
    public init(configuration: HTTPServerConfiguration) {
        self.maxHeaderBytes = configuration.maxHeaderBytes
        self.maxBodyBytes = configuration.maxBodyBytes
    }

    /// Bytes received but not yet part of a returned request.
    public var bufferedByteCount: Int { buffer.count }

    /// Whether the request at the front has all its headers and waits for its body.
    public var isReadingBody: Bool { pending != nil }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next complete request, nil when more bytes are needed.
    public mutating func nextRequest() throws(HTTPParseError) -> HTTPRequest? {
        if pending == nil {
            guard let headerEnd = findHeaderEnd() else {
                // Too large only once the blank line can no longer start within the limit: a
                // terminator starting at the last allowed byte needs 4 more bytes to be seen (found by
                // HTTPFuzz: with `> maxHeaderBytes` the verdict depended on how the bytes were split).
                if buffer.count >= maxHeaderBytes + 4 { throw .headersTooLarge }
                return nil
            }
            guard headerEnd <= maxHeaderBytes else { throw .headersTooLarge }
            pending = try parseHead(endingAt: headerEnd)
        }
        guard let head = pending, buffer.count >= head.bodyStart + head.bodyLength else { return nil }
        let body = Array(buffer[head.bodyStart..<(head.bodyStart + head.bodyLength)])
        buffer.removeFirst(head.bodyStart + head.bodyLength)
        pending = nil
        searchedUpTo = 0
        return HTTPRequest(method: head.method, target: head.target, version: head.version, headers: head.headers, body: body)
    }

    /// A parsed request line and header block, waiting for its body.
    private struct Head {
        let method: String
        let target: String
        let version: String
        let headers: [(name: String, value: String)]
        let bodyStart: Int
        let bodyLength: Int
    }

    /// Parses the request line and headers in `buffer[0..<headerEnd]` (parsed once per request, so
    /// a body dripped in byte by byte does not re-parse them).
    private func parseHead(endingAt headerEnd: Int) throws(HTTPParseError) -> Head {
        guard let head = String(validating: buffer[0..<headerEnd], as: UTF8.self) else {
            throw .malformed("headers are not UTF-8")
        }
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else {
            throw .malformed("bad request line")
        }
        let version = String(requestLine[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw .unsupportedVersion }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("header line without ':'") }
            let name = line[..<colon]
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { throw .malformed("bad header name") }
            headers.append((name.lowercased(), String(line[line.index(after: colon)...].trimmingWhitespace())))
        }
        if headers.contains(where: { $0.name == "transfer-encoding" }) { throw .unsupportedTransferEncoding }
        let lengths = headers.filter { $0.name == "content-length" }.map(\.value)
        var bodyLength = 0
        if let first = lengths.first {
            // Digits only: Swift's Int("+5") would accept a sign that HTTP does not allow.
            guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
                  first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(first) else {
                throw .malformed("bad Content-Length")
            }
            guard value <= maxBodyBytes else { throw .bodyTooLarge }
            bodyLength = value
        }
        return Head(method: String(requestLine[0]), target: String(requestLine[1]), version: version, headers: headers,
                    bodyStart: headerEnd + 4, bodyLength: bodyLength)
    }

    /// Offset of the blank line's `\r\n\r\n`, searching the bytes not searched before and at most
    /// one byte past the header limit.
    private mutating func findHeaderEnd() -> Int? {
        let limit = min(buffer.count, maxHeaderBytes + 4)
        guard limit >= 4 else { return nil }
        let start = max(0, searchedUpTo - 3)  // a terminator may straddle the previous end
        if start <= limit - 4 {
            for index in start...(limit - 4)
            where buffer[index] == 0x0D && buffer[index + 1] == 0x0A && buffer[index + 2] == 0x0D && buffer[index + 3] == 0x0A {
                return index
            }
        }
        searchedUpTo = limit
        return nil
    }
}
