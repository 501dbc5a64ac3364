#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem
import Logging

/// A small blocking HTTP/1.1 server on POSIX sockets, for JSON-RPC and `/metrics`. It never touches
/// the reactor: one accept thread waits in `poll(2)` on the listeners and a wake pipe, and each
/// connection is served on a thread of its own, at most ``HTTPServerConfiguration/maxConnections``
/// at once (more are answered 503 and closed).
///
/// Lifecycle: created → ``start()`` (binds; throws ``HTTPServerError``) → serving → ``stop()``
/// (closes the listeners, shuts active connections down, joins every thread) → stopped.
///
/// Threads: `lock` guards `connections`, `finished` and `isStopping`; the accept thread owns the
/// listening sockets; a connection's fd is closed by its own thread, under `lock`, so `stop()` can
/// `shutdown(2)` it without racing a reused descriptor.
public final class HTTPServer: @unchecked Sendable {
    /// Handles one request on a connection thread; must not block for long.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private let configuration: HTTPServerConfiguration
    private let endpoints: [Endpoint]
    private let logger: Logger
    private let handler: Handler

    private let lock = PThreadMutex()
    // guarded by lock
    private var connections: [Int: (fd: Int32, thread: NativeThread?)] = [:]
    private var finished: [Int] = []
    private var isStopping = false
    private var nextConnectionID = 0

    // written in start() before the accept thread exists; then owned by the accept thread
    private var listeners: [Int32] = []
    private var wakePipe: (read: Int32, write: Int32) = (-1, -1)
    private var acceptThread: NativeThread?
    private var bound: [Endpoint] = []

    /// A server for `endpoints` (port 0 = any free port), calling `handler` for every request.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), endpoints: [Endpoint],
                logger: Logger, handler: @escaping Handler) {
        self.configuration = configuration
        self.endpoints = endpoints
        self.logger = logger
        self.handler = handler
    }

    deinit { stop() }

    /// Binds every endpoint and starts the accept thread. On failure nothing stays open.
    ///
    /// - Returns: the bound addresses (with the real port where 0 was asked for).
    @discardableResult
    public func start() throws(HTTPServerError) -> [Endpoint] {
        precondition(acceptThread == nil, "HTTPServer.start() called twice")
        var fds: [Int32] = []
        var addresses: [Endpoint] = []
        for endpoint in endpoints {
            do {
                let (fd, address) = try Self.listen(on: endpoint)
                fds.append(fd)
                addresses.append(address)
            } catch {
                fds.forEach { close($0) }
                throw error
            }
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            fds.forEach { close($0) }
            throw .cannotListen(address: "wake pipe", reason: Self.errorText())
        }
        for end in pipeFDs {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        listeners = fds
        bound = addresses
        wakePipe = (pipeFDs[0], pipeFDs[1])
        acceptThread = NativeThread { [self] in acceptLoop() }
        return addresses
    }

    /// The addresses bound by ``start()``.
    public var boundEndpoints: [Endpoint] { bound }

    /// Stops accepting, shuts every open connection down and waits for every thread. Idempotent.
    public func stop() {
        let wasRunning: Bool = lock.withLock {
            defer { isStopping = true }
            return !isStopping && acceptThread != nil
        }
        guard wasRunning else { return }
        wake()
        acceptThread?.join()
        let remaining: [NativeThread] = lock.withLock {
            // Only the read side: an idle keep-alive connection wakes and ends, while a request being
            // answered (e.g. the `stop` RPC that started this shutdown) still writes its reply.
            for connection in connections.values { shutdown(connection.fd, Int32(SHUT_RD)) }
            return connections.values.compactMap(\.thread)
        }
        remaining.forEach { $0.join() }
        listeners.forEach { close($0) }
        listeners = []
        close(wakePipe.read)
        close(wakePipe.write)
    }

    /// Connections being served right now.
    public var activeConnectionCount: Int { lock.withLock { connections.count } }

    // MARK: Accept thread

    private func acceptLoop() {
        var pollFDs = listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        pollFDs.append(pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0))
        while true {
            let ready = poll(&pollFDs, nfds_t(pollFDs.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                preconditionFailure("poll on HTTP listeners failed: \(Self.errorText())")
            }
            if pollFDs[pollFDs.count - 1].revents != 0 { drainWakePipe() }
            reapFinishedConnections()
            if lock.withLock({ isStopping }) { return }
            for index in 0..<(pollFDs.count - 1) where pollFDs[index].revents != 0 {
                acceptOne(listener: pollFDs[index].fd)
            }
        }
    }

    private func acceptOne(listener: Int32) {
        // Glibc's module map hides accept4(2); FD_CLOEXEC right after is enough (the node never execs).
        let fd = accept(listener, nil, nil)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        guard fd >= 0 else {
            // EAGAIN: another wakeup took it; ECONNABORTED: the client left; EMFILE/ENFILE: out of
            // descriptors; the connection waits in the backlog until a descriptor frees up.
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR {
                logger.warning("http accept failed: \(Self.errorText())")
            }
            return
        }
        let admitted: Int? = lock.withLock {
            guard connections.count < configuration.maxConnections, !isStopping else { return nil }
            nextConnectionID += 1
            connections[nextConnectionID] = (fd, nil)
            return nextConnectionID
        }
        guard let id = admitted else {
            let response = HTTPResponse.text("too many connections\n", status: 503).serialized(keepAlive: false)
            _ = response.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            close(fd)
            logger.debug("http connection refused: \(configuration.maxConnections) connections busy")
            return
        }
        let thread = NativeThread { [self] in serve(connection: id, fd: fd) }
        lock.withLock { connections[id]?.thread = thread }
    }

    private func reapFinishedConnections() {
        let done: [NativeThread] = lock.withLock {
            defer { finished.removeAll() }
            return finished.compactMap { connections.removeValue(forKey: $0)?.thread }
        }
        done.forEach { $0.join() }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ read(wakePipe.read, $0.baseAddress, $0.count) }) > 0 {}
    }

    // MARK: Connection threads

    private func serve(connection id: Int, fd: Int32) {
        defer {
            lock.withLock {
                close(fd)
                finished.append(id)
            }
            wake()
        }
        Self.setTimeout(fd, option: SO_SNDTIMEO, seconds: configuration.sendTimeoutSeconds)
        var parser = HTTPRequestParser(configuration: configuration)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var served = 0
        var deadline = Self.monotonicSeconds() + configuration.requestTimeoutSeconds
        while served < configuration.maxRequestsPerConnection {
            let request: HTTPRequest
            do {
                guard let next = try parser.nextRequest() else {
                    let remaining = deadline - Self.monotonicSeconds()
                    guard remaining > 0 else {
                        if parser.bufferedByteCount > 0 { respond(fd, .text("request timeout\n", status: 408), keepAlive: false) }
                        return
                    }
                    Self.setTimeout(fd, option: SO_RCVTIMEO, seconds: remaining)
                    let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        parser.append(chunk[0..<count])
                    } else if count < 0 && errno == EINTR {
                        continue
                    } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                        continue  // the loop re-checks the deadline
                    } else {
                        return  // peer closed, reset, or shut down by stop()
                    }
                    continue
                }
                request = next
            } catch {
                logger.debug("http request refused: \(error.message)")
                respond(fd, .text(error.message + "\n", status: error.status), keepAlive: false)
                return
            }
            served += 1
            let keepAlive = request.wantsKeepAlive && served < configuration.maxRequestsPerConnection
                && !lock.withLock({ isStopping })
            guard respond(fd, handler(request), keepAlive: keepAlive), keepAlive else { return }
            deadline = Self.monotonicSeconds() + configuration.requestTimeoutSeconds
        }
    }

    /// Sends the whole response; false when the client is gone or too slow.
    @discardableResult
    private func respond(_ fd: Int32, _ response: HTTPResponse, keepAlive: Bool) -> Bool {
        let bytes = response.serialized(keepAlive: keepAlive)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    // MARK: Sockets

    private static func listen(on endpoint: Endpoint) throws(HTTPServerError) -> (Int32, Endpoint) {
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
        guard bindResult == 0, Glibc.listen(fd, 64) == 0 else {
            let reason = errorText()
            close(fd)
            throw .cannotListen(address: endpoint.description, reason: reason)
        }
        var boundStorage = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &boundStorage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
        }
        let port: UInt16
        if endpoint.isIPv6 {
            port = withUnsafePointer(to: &boundStorage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        } else {
            port = withUnsafePointer(to: &boundStorage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        }
        return (fd, Endpoint(host: endpoint.host, port: port))
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

    static func setTimeout(_ fd: Int32, option: Int32, seconds: Double) {
        let clamped = max(seconds, 0.001)
        var value = timeval(tv_sec: Int(clamped), tv_usec: Int((clamped - clamped.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
