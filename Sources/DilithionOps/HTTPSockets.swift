#if canImport(Glibc)
import Glibc
#endif

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
        let family = endpoint.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .cannotListen(address: endpoint.description, reason: errorText()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if endpoint.isIPv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var storage = sockaddr_storage()
        let length = fill(&storage, endpoint: endpoint)
        let bindResult = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bindResult == 0, Glibc.listen(fd, listenBacklog) == 0 else {
            let reason = errorText()
            close(fd)
            throw .cannotListen(address: endpoint.description, reason: reason)
        }
        var boundStorage = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &boundStorage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
        }
        return (fd, Endpoint(host: endpoint.host, port: port(of: boundStorage)))
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

    /// The address in `storage` as text; an IPv4-mapped IPv6 address as its IPv4 form.
    static func numericAddress(of storage: sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                }
            }
        case AF_INET6:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    let bytes = withUnsafeBytes(of: &raw) { Array($0) }
                    if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                        var v4 = in_addr()
                        withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes[12..<16]) }
                        _ = inet_ntop(AF_INET, &v4, &text, socklen_t(text.count))
                    } else {
                        _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                    }
                }
            }
        default:
            return ""
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func port(of storage: sockaddr_storage) -> UInt16 {
        var storage = storage
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// Writes `endpoint` as a `sockaddr_in`/`sockaddr_in6`; returns its length. The host was
    /// validated by ``Endpoint/parse(_:defaultPort:)``.
    static func fill(_ storage: inout sockaddr_storage, endpoint: Endpoint) -> socklen_t {
        if endpoint.isIPv6 {
            return withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    address.pointee.sin6_family = sa_family_t(AF_INET6)
                    address.pointee.sin6_port = endpoint.port.bigEndian
                    inet_pton(AF_INET6, endpoint.host, &address.pointee.sin6_addr)
                    return socklen_t(MemoryLayout<sockaddr_in6>.size)
                }
            }
        }
        return withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                address.pointee.sin_family = sa_family_t(AF_INET)
                address.pointee.sin_port = endpoint.port.bigEndian
                inet_pton(AF_INET, endpoint.host, &address.pointee.sin_addr)
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        }
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
