@testable import DilithionReactor
import DilithionSystem
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// An accepted socket comes out of one `accept4` call non-blocking, close-on-exec and with
/// TCP_NODELAY inherited from the listener (issue 16: the accept path made four more calls).
final class AcceptedSocketTests: XCTestCase {
    func testAcceptedSocketsAreNonBlockingCloseOnExecAndNoDelay() throws {
        let (listener, bound) = try SocketCalls.makeListener(.ipv4Loopback(), backlog: 4)
        defer { SocketCalls.closeDescriptor(listener) }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(client, 0)
        defer { close(client) }
        XCTAssertEqual(bound.withSockAddr { connect(client, $0, $1) }, 0)
        var accepted: Int32 = -1
        var remote: SocketAddress?
        // The connection is in the backlog once connect() returned; the listener is non-blocking.
        switch SocketCalls.accept(listener) {
        case .accepted(let fd, let address):
            accepted = fd
            remote = address
        default:
            XCTFail("no connection to accept")
        }
        defer { if accepted >= 0 { SocketCalls.closeDescriptor(accepted) } }
        XCTAssertEqual(remote?.host, "127.0.0.1")
        XCTAssertNotEqual(fcntl(accepted, F_GETFL) & O_NONBLOCK, 0)
        XCTAssertNotEqual(fcntl(accepted, F_GETFD) & FD_CLOEXEC, 0)
        var noDelay: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        XCTAssertEqual(getsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, &length), 0)
        XCTAssertEqual(noDelay, 1)
    }
}
