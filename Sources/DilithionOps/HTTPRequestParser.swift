/// Incremental HTTP/1.x request parser: append bytes as they arrive, take complete requests off
/// the front. Pure (no I/O), so limits and malformed input are tested without sockets.
///
/// Lengths are checked before anything is buffered beyond them: the header block may not exceed
/// `maxHeaderBytes`, and a `Content-Length` above `maxBodyBytes` is refused as soon as the headers
/// are read, before the body arrives.
public struct HTTPRequestParser {
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    private var buffer: [UInt8] = []

    /// A parser enforcing `configuration`'s header and body limits.
    public init(configuration: HTTPServerConfiguration) {
        self.maxHeaderBytes = configuration.maxHeaderBytes
        self.maxBodyBytes = configuration.maxBodyBytes
    }

    /// Bytes received but not yet part of a returned request.
    public var bufferedByteCount: Int { buffer.count }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next complete request, nil when more bytes are needed.
    public mutating func nextRequest() throws(HTTPParseError) -> HTTPRequest? {
        guard let headerEnd = findHeaderEnd() else {
            if buffer.count > maxHeaderBytes { throw .headersTooLarge }
            return nil
        }
        guard headerEnd <= maxHeaderBytes else { throw .headersTooLarge }
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
            guard lengths.allSatisfy({ $0 == first }), let value = Int(first), value >= 0,
                  first.allSatisfy(\.isASCII) else {
                throw .malformed("bad Content-Length")
            }
            guard value <= maxBodyBytes else { throw .bodyTooLarge }
            bodyLength = value
        }
        let bodyStart = headerEnd + 4
        guard buffer.count >= bodyStart + bodyLength else { return nil }
        let body = Array(buffer[bodyStart..<(bodyStart + bodyLength)])
        buffer.removeFirst(bodyStart + bodyLength)
        return HTTPRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), version: version, headers: headers, body: body)
    }

    /// Offset of the blank line's `\r\n\r\n`, searching at most one byte past the header limit.
    private func findHeaderEnd() -> Int? {
        let limit = min(buffer.count, maxHeaderBytes + 4)
        guard limit >= 4 else { return nil }
        for index in 0...(limit - 4)
        where buffer[index] == 0x0D && buffer[index + 1] == 0x0A && buffer[index + 2] == 0x0D && buffer[index + 3] == 0x0A {
            return index
        }
        return nil
    }
}
