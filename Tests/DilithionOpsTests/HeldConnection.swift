#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem
@testable import DilithionOps

/// A loopback connection a test keeps open (to occupy a server slot, or to send a request in
/// pieces), optionally from another loopback source address (127.0.0.2, …) so that one test can
/// play several clients.
final class HeldConnection {
    private let fd: Int32

    init(port: UInt16, from source: String? = nil) {
        guard let fd = Self.connect(port: port, from: source) else { preconditionFailure("connect to port \(port) failed") }
        self.fd = fd
    }

    /// A connection, or nil when nothing listens on `port` (yet).
    init?(ifListening port: UInt16, from source: String? = nil) {
        guard let fd = Self.connect(port: port, from: source) else { return nil }
        self.fd = fd
    }

    private static func connect(port: UInt16, from source: String?) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket failed")
        HTTPSockets.setTimeout(fd, option: SO_RCVTIMEO, seconds: 30)
        if let source {
            let local = SocketAddress(host: source, port: 0)!
            precondition(local.withSockAddr { bind(fd, $0, $1) } == 0, "bind to \(source) failed")
        }
        guard HTTPSockets.connect(fd, to: .ipv4Loopback(port: port)) == 0 else {
            Glibc.close(fd)
            return nil
        }
        return fd
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything the server sends until it closes the connection (or 30 s pass: then the bytes so
    /// far, and the test's own assertions fail).
    func readUntilClosed() -> [UInt8] {
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return reply }
            reply.append(contentsOf: chunk[0..<count])
        }
    }

    /// The status code of the reply read until close, nil for none.
    func statusUntilClosed() -> Int? {
        try? RPCClient.parseReply(readUntilClosed()).0
    }

    func close() { Glibc.close(fd) }
}
