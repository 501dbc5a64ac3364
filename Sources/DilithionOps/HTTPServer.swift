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
/// Parts: this type is the public face (binding, start, stop, counters); ``HTTPIOLoop`` owns the
/// I/O thread and every connection; ``HTTPHandlerPool`` runs the handlers; ``HTTPSockets`` holds
/// the socket calls.
public final class HTTPServer: @unchecked Sendable {
    /// Handles one request on a handler thread.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Builds the response for a refusal the server makes itself (status, one-line reason), e.g.
    /// 503, 408, 429, 400. The default is plain text; the attestation endpoint answers JSON-RPC.
    public typealias RefusalResponder = @Sendable (_ status: Int, _ reason: String) -> HTTPResponse

    /// Created → serving → stopped; ``stop()`` before ``start()`` goes straight to stopped.
    private enum Lifecycle {
        case created
        case serving(loop: HTTPIOLoop, thread: NativeThread)
        /// The loop is kept for its final counters (nil when the server never started).
        case stopped(loop: HTTPIOLoop?)
    }

    private let configuration: HTTPServerConfiguration
    private let endpoints: [Endpoint]
    private let logger: Logger
    private let handler: Handler
    private let refusal: RefusalResponder

    private let lock = PThreadMutex()
    // guarded by lock
    private var lifecycle = Lifecycle.created
    private var bound: [Endpoint] = []

    /// A server for `endpoints` (port 0 = any free port), calling `handler` for every request.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), endpoints: [Endpoint],
                logger: Logger, refusal: @escaping RefusalResponder = HTTPServer.plainRefusal,
                handler: @escaping Handler) {
        self.configuration = configuration
        self.endpoints = endpoints
        self.logger = logger
        self.refusal = refusal
        self.handler = handler
    }

    deinit { stop() }

    /// The default refusal: the reason as plain text.
    public static let plainRefusal: RefusalResponder = { status, reason in .text(reason + "\n", status: status) }

    /// Binds every endpoint and starts the threads. On failure nothing stays open.
    ///
    /// - Returns: the bound addresses (with the real port where 0 was asked for).
    @discardableResult
    public func start() throws(HTTPServerError) -> [Endpoint] {
        var listeners: [Int32] = []
        var addresses: [Endpoint] = []
        let wakePipe: (read: Int32, write: Int32)
        do {
            for endpoint in endpoints {
                let (fd, address) = try HTTPSockets.listen(on: endpoint)
                listeners.append(fd)
                addresses.append(address)
            }
            wakePipe = try HTTPSockets.makeWakePipe()
        } catch {
            listeners.forEach { close($0) }
            throw error
        }
        lock.withLock {
            guard case .created = lifecycle else { preconditionFailure("HTTPServer.start() called twice or after stop()") }
            let loop = HTTPIOLoop(configuration: configuration, listeners: listeners, wakePipe: wakePipe,
                                  logger: logger, refusal: refusal, handler: handler)
            lifecycle = .serving(loop: loop, thread: NativeThread { loop.run() })
            bound = addresses
        }
        return addresses
    }

    /// The addresses bound by ``start()``.
    public var boundEndpoints: [Endpoint] { lock.withLock { bound } }

    /// Stops accepting, closes idle connections, lets requests being answered finish (their
    /// responses are sent, then the connection closes), and joins every thread. Idempotent.
    public func stop() {
        let running: (loop: HTTPIOLoop, thread: NativeThread)? = lock.withLock {
            switch lifecycle {
            case .created:
                lifecycle = .stopped(loop: nil)
                return nil
            case .serving(let loop, let thread):
                lifecycle = .stopped(loop: loop)
                return (loop, thread)
            case .stopped:
                return nil
            }
        }
        guard let running else { return }
        running.loop.requestStop()
        running.thread.join()
        running.loop.finish()
    }

    /// Connections open right now.
    public var activeConnectionCount: Int { statistics.openConnections }

    /// The counters so far.
    public var statistics: HTTPServerStatistics {
        let loop: HTTPIOLoop? = lock.withLock {
            switch lifecycle {
            case .created: return nil
            case .serving(let loop, _): return loop
            case .stopped(let loop): return loop
            }
        }
        return loop?.statistics ?? HTTPServerStatistics()
    }
}
