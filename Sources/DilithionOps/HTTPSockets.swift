#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem

/// The stateless socket calls of the HTTP layer: listening, accepting, address conversion, the
/// I/O thread's wake pipe, client timeouts. Used by ``HTTPServer``'s I/O loop, ``RPCClient`` and
/// the tests; holds no state of its own.
enum HTTPSockets {
    /// Listen backlog: a burst of connections (hundreds, e.g. an idle-connection flood) waits here
    /// until the I/O thread accepts it, instead of its SYNs being dropped and retried a second later.
    static let listenBacklog: Int32 = 1024

    /// A non-blocking, close-on-exec listening socket bound to `endpoint`, and the address it got
    /// (the real port where 0 was asked for).
    static func listen(on endpoint: Endpoint) throws(HTTPServerError) -> (Int32, Endpoint) {
        guard let address = endpoint.socketAddress else {
            throw .cannotListen(address: endpoint.description, reason: "not a numeric IP address")
        }
        let fd = socket(address.addressFamily, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .cannotListen(address: endpoint.description, reason: errorText()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == .ipv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0, Glibc.listen(fd, listenBacklog) == 0 else {
            let reason = errorText()
            close(fd)
            throw .cannotListen(address: endpoint.description, reason: reason)
        }
        var boundStorage = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &boundStorage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
        }
        let boundPort = withUnsafePointer(to: &boundStorage) { SocketAddress(storage: $0)?.port } ?? endpoint.port
        return (fd, Endpoint(host: endpoint.host, port: boundPort))
    }

    /// Accepts one connection from `listener` as a non-blocking, close-on-exec socket with the
    /// client's numeric address; nil with `errno` set when there is none (or accept failed).
    static func acceptClient(_ listener: Int32) -> (fd: Int32, address: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // Glibc's module map hides accept4(2); the flags right after are enough (the node never execs).
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
        }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return (fd, numericAddress(of: storage))
    }

    /// Reads what `fd` has into `scratch`: the byte count, 0 when the client closed or the
    /// connection failed, nil when nothing is ready (`EAGAIN`, `EINTR`: poll again).
    static func receive(_ fd: Int32, into scratch: inout [UInt8]) -> Int? {
        let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count >= 0 { return count }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? nil : 0
    }

    /// The address in `storage` as text; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as its
    /// IPv4 form, so that one client has one key in the per-address tables.
    static func numericAddress(of storage: sockaddr_storage) -> String {
        guard let address = withUnsafePointer(to: storage, { SocketAddress(storage: $0) }) else { return "" }
        let mappedPrefix = "::ffff:"
        if address.family == .ipv6, address.host.lowercased().hasPrefix(mappedPrefix) {
            let ipv4 = String(address.host.dropFirst(mappedPrefix.count))
            if SocketAddress(host: ipv4, port: 0)?.family == .ipv4 { return ipv4 }
        }
        return address.host
    }

    /// Connects the blocking socket `fd` to `address` (`connect(2)`'s result).
    static func connect(_ fd: Int32, to address: SocketAddress) -> Int32 {
        address.withSockAddr { Glibc.connect(fd, $0, $1) }
    }

    /// A close-on-exec, non-blocking pipe: the I/O thread polls its read end; other threads write a
    /// byte to wake it.
    static func makeWakePipe() throws(HTTPServerError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .cannotListen(address: "wake pipe", reason: errorText()) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        return (ends[0], ends[1])
    }

    /// Sets `SO_RCVTIMEO` or `SO_SNDTIMEO` (`option`) on a blocking client socket (at least 1 ms:
    /// zero would mean "no timeout").
    static func setTimeout(_ fd: Int32, option: Int32, seconds: Double) {
        let clamped = max(seconds, 0.001)
        var value = timeval(tv_sec: Int(clamped), tv_usec: Int((clamped - clamped.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The text of the current `errno`.
    static func errorText() -> String { String(cString: strerror(errno)) }
}
