#if canImport(Glibc)
import Glibc
#endif
@testable import DilithionOps

/// A loopback connection a test keeps open (to occupy a server slot).
final class HeldConnection {
    private let fd: Int32

    init(port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var storage = sockaddr_storage()
        let length = HTTPServer.fill(&storage, endpoint: Endpoint(host: "127.0.0.1", port: port))
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        precondition(result == 0, "connect failed")
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func close() { Glibc.close(fd) }
}
