import DilithionSystem
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Connections waiting in a listener's backlog while this process has no descriptor left, so that
/// every `accept` fails with EMFILE until ``release()``. Deterministic: the client sockets exist
/// before the soft `RLIMIT_NOFILE` drops to what is open, connecting them needs no new descriptor,
/// and every free descriptor number below the limit is then taken (there can be holes in the table).
final class DescriptorExhaustion {
    let originalLimit = ProcessLimits.fileDescriptorSoftLimit
    /// The client sockets, connected to the listener.
    let sockets: [Int32]
    private var fillers: [Int32] = []

    init(connecting count: Int, to address: SocketAddress, file: StaticString = #filePath, line: UInt = #line) {
        sockets = (0..<count).map { _ in socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        XCTAssertTrue(sockets.allSatisfy { $0 >= 0 }, file: file, line: line)
        XCTAssertTrue(ProcessLimits.setFileDescriptorSoftLimit(openDescriptorCount() + 8), file: file, line: line)
        while true {
            let fd = open("/dev/null", O_RDONLY)
            if fd < 0 { break }
            fillers.append(fd)
        }
        for fd in sockets {
            XCTAssertEqual(address.withSockAddr { connect(fd, $0, $1) }, 0, file: file, line: line)
        }
    }

    /// Restores the limit and frees the filler descriptors: the waiting connections can be accepted.
    func release() {
        ProcessLimits.setFileDescriptorSoftLimit(originalLimit)
        fillers.forEach { close($0) }
        fillers.removeAll()
    }

    deinit {
        release()
        sockets.forEach { close($0) }
    }
}
