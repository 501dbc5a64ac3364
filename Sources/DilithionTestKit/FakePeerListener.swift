import DilithionSystem
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on a loopback address for tests in which the node dials out: each accepted
/// connection becomes a ``FakePeer`` with the same controls as one that dialled in.
///
/// ```swift
/// let listener = try FakePeerListener()
/// try node.addNode("127.0.0.1:\(listener.port)", command: .onetry)
/// let peer = try listener.accept(timeout: 10)
/// ```
public final class FakePeerListener {
    /// The port the kernel chose (or the one asked for).
    public let port: UInt16
    /// The network the accepted peers frame with.
    public let network: Network
    private var descriptor: Int32

    /// Listens on `host`:`port` (loopback only; port 0 lets the kernel choose).
    ///
    /// - Throws: ``FakePeerError`` for a non-loopback host or a failed `bind`/`listen`.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, network: Network = .regtest) throws(FakePeerError) {
        let address = try LoopbackAddress(host: host, port: port)
        let socketDescriptor = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw .socketFailed(errno: errno) }
        var one: Int32 = 1
        setsockopt(socketDescriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSocketAddress { bind(socketDescriptor, $0, $1) }
        guard bound == 0, listen(socketDescriptor, 16) == 0 else {
            let code = errno
            Glibc.close(socketDescriptor)
            throw .listenFailed(errno: code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset, in network order.
        let portBytes = withUnsafeBytes(of: storage) { ($0[2], $0[3]) }
        self.port = UInt16(portBytes.0) << 8 | UInt16(portBytes.1)
        self.network = network
        descriptor = socketDescriptor
    }

    deinit { close() }

    /// Waits up to `timeout` seconds for one connection.
    ///
    /// - Throws: ``FakePeerError/acceptTimedOut`` when none came, ``FakePeerError/socketFailed(errno:)``
    ///   when `accept(2)` failed (or the listener was closed).
    public func accept(timeout: Double) throws(FakePeerError) -> FakePeer {
        guard descriptor >= 0 else { throw .socketFailed(errno: EBADF) }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let deadline = MonotonicClock.now() + timeout
        while true {
            let remaining = deadline - MonotonicClock.now()
            guard remaining > 0 else { throw .acceptTimedOut }
            let ready = poll(&entry, 1, Int32(min(remaining, 1_000_000) * 1000))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let client = Glibc.accept(descriptor, nil, nil)
            guard client >= 0 else {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                throw .socketFailed(errno: errno)
            }
            return FakePeer(connected: client, network: network)
        }
    }

    /// Stops listening (new connects are refused). Idempotent.
    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}
