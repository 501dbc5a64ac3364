#if canImport(Glibc)
import Glibc
#endif
@testable import DilithionOps

/// Sends raw bytes to 127.0.0.1:`port` and reads the reply until the server closes (tests ask for
/// `Connection: close`, or provoke an error that closes).
enum LoopbackHTTP {
    struct Reply {
        let status: Int
        let body: [UInt8]
        var json: JSON? { try? JSONParser.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func exchange(port: UInt16, raw: [UInt8]) throws -> Reply {
        let (status, body) = try RPCClient.parseReply(exchangeRaw(port: port, raw: raw))
        return Reply(status: status, body: body)
    }

    static func exchangeRaw(port: UInt16, raw: [UInt8]) -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        defer { close(fd) }
        HTTPSockets.setTimeout(fd, option: SO_RCVTIMEO, seconds: 30)
        precondition(HTTPSockets.connect(fd, to: .ipv4Loopback(port: port)) == 0, "connect failed")
        var offset = 0
        while offset < raw.count {
            let sent = raw.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may refuse early (413) and close
            offset += sent
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            reply.append(contentsOf: chunk[0..<count])
        }
        return reply
    }

    static func post(port: UInt16, body: String, authorization: String?, extraHeaders: String = "") throws -> Reply {
        var head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        head += extraHeaders + "\r\n"
        return try exchange(port: port, raw: Array((head + body).utf8))
    }
}
