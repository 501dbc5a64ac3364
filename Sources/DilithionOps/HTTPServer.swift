#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem
import Logging

/// A small HTTP/1.1 server on POSIX sockets, for JSON-RPC, `/metrics` and the public attestation
/// endpoint. It never touches the reactor.
///
/// Threads: one I/O thread waits in `poll(2)` on the listeners, a wake pipe and every connection
/// (non-blocking sockets), reads and parses requests, writes responses and enforces the deadlines;
/// a small pool (``HTTPServerConfiguration/handlerThreads``) runs the handler. An idle or slow
/// connection therefore costs a descriptor and its buffered bytes, never a thread, and cannot keep
/// another client from being served: when every slot is taken, the connection that has waited
/// longest for its request is closed to make room (see ``HTTPServerConfiguration``).
///
/// Lifecycle: created → ``start()`` (binds; throws ``HTTPServerError``) → serving → ``stop()``
/// (closes the listeners and idle connections, lets requests being answered finish and their
/// responses go out, joins every thread) → stopped.
///
/// State: `lock` guards `isStopping`, `completions` and `counters`; everything in
/// `HTTPServer+IOLoop.swift` (connections, listeners, per-address tables) is I/O thread only.
public final class HTTPServer: @unchecked Sendable {
    /// Handles one request on a handler thread.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Builds the response for a refusal the server makes itself (status, one-line reason), e.g.
    /// 503, 408, 429, 400. The default is plain text; the attestation endpoint answers JSON-RPC.
    public typealias RefusalResponder = @Sendable (_ status: Int, _ reason: String) -> HTTPResponse

    let configuration: HTTPServerConfiguration
    private let endpoints: [Endpoint]
    let logger: Logger
    private let handler: Handler
    let refusal: RefusalResponder

    let lock = PThreadMutex()
    // guarded by lock
    var isStopping = false
    var completions: [(connection: Int, response: HTTPResponse)] = []
    var counters = HTTPServerStatistics()

    // written in start() before the I/O thread exists; then owned by the I/O thread
    var listeners: [Int32] = []
    var wakePipe: (read: Int32, write: Int32) = (-1, -1)
    private var ioThread: NativeThread?
    private var bound: [Endpoint] = []
    var handlers: HTTPHandlerPool?

    // I/O thread only
    var connections: [Int: HTTPConnection] = [:]
    var connectionsPerAddress: [String: Int] = [:]
    var nextConnectionID = 0
    var requestLimiter: AddressRequestLimiter?
    var acceptPausedUntil = 0.0
    var lastAcceptErrorLog = -Double.infinity

    /// A server for `endpoints` (port 0 = any free port), calling `handler` for every request.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), endpoints: [Endpoint],
                logger: Logger, refusal: @escaping RefusalResponder = HTTPServer.plainRefusal,
                handler: @escaping Handler) {
        self.configuration = configuration
        self.endpoints = endpoints
        self.logger = logger
        self.refusal = refusal
        self.handler = handler
        if let perMinute = configuration.requestsPerAddressPerMinute {
            requestLimiter = AddressRequestLimiter(perMinute: perMinute, burst: configuration.requestBurstPerAddress)
        }
    }

    deinit { stop() }

    /// The default refusal: the reason as plain text.
    public static let plainRefusal: RefusalResponder = { status, reason in .text(reason + "\n", status: status) }

    /// Binds every endpoint and starts the threads. On failure nothing stays open.
    ///
    /// - Returns: the bound addresses (with the real port where 0 was asked for).
    @discardableResult
    public func start() throws(HTTPServerError) -> [Endpoint] {
        precondition(ioThread == nil, "HTTPServer.start() called twice")
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
        handlers = HTTPHandlerPool(count: configuration.handlerThreads, handler: handler) { [self] connection, response in
            lock.withLock { completions.append((connection, response)) }
            wake()
        }
        ioThread = NativeThread { [self] in ioLoop() }
        return addresses
    }

    /// The addresses bound by ``start()``.
    public var boundEndpoints: [Endpoint] { bound }

    /// Stops accepting, closes idle connections, lets requests being answered finish (their
    /// responses are sent, then the connection closes), and joins every thread. Idempotent.
    public func stop() {
        let wasRunning: Bool = lock.withLock {
            defer { isStopping = true }
            return !isStopping && ioThread != nil
        }
        guard wasRunning else { return }
        wake()
        ioThread?.join()
        handlers?.shutDown()
        close(wakePipe.read)
        close(wakePipe.write)
    }

    /// Connections open right now.
    public var activeConnectionCount: Int { lock.withLock { counters.openConnections } }

    /// The counters so far.
    public var statistics: HTTPServerStatistics { lock.withLock { counters } }

    /// Wakes the I/O thread (a handler finished, or stop()).
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    /// Adds one to a close reason (I/O thread).
    func count(_ reason: String) {
        lock.withLock { counters.closes[reason, default: 0] += 1 }
    }
}
