import DilithionSystem
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The I/O thread of an ``HTTPServer``: it waits in `poll(2)` on the listeners, the wake pipe and
/// every connection, accepts, reads and parses, hands complete requests to the handler pool, writes
/// responses, and enforces the deadlines and limits (`HTTPIOLoop+Connections.swift`).
///
/// Lifecycle: created by ``HTTPServer/start()`` with its bound listeners → ``run()`` on the one I/O
/// thread → ``requestStop()`` from any thread (closes the listeners and idle connections, lets
/// requests being answered finish and go out, then ``run()`` returns) → ``finish()`` after the
/// thread is joined (joins the handler threads, closes the wake pipe).
///
/// Threads: the connection state below is touched only by the I/O thread, so it needs no lock;
/// handler threads and the server's callers reach the loop only through `lock` (a finished
/// response, a stop request, the counters) and the wake pipe.
final class HTTPIOLoop: @unchecked Sendable {
    /// Connections accepted per listener wakeup, so a flood on one listener cannot starve the rest.
    static let acceptsPerWakeup = 64

    let configuration: HTTPServerConfiguration
    let logger: Logger
    let refusal: HTTPServer.RefusalResponder
    // written in init; the read end is polled by the I/O thread, the write end written by any thread
    let wakePipe: (read: Int32, write: Int32)

    private let lock = PThreadMutex()
    // guarded by lock
    private var isStopping = false
    private var completions: [(connection: Int, response: HTTPResponse)] = []
    private var counters = HTTPServerStatistics()

    // written at the end of init; then used by the I/O thread (submit) and by finish()
    private(set) var handlers: HTTPHandlerPool?

    // I/O thread only
    var listeners: [Int32]
    var connections = HTTPConnectionTable()
    var requestLimiter: AddressRequestLimiter?
    var acceptBackoff = AcceptBackoff()

    /// A loop over `listeners` (bound, non-blocking) waking on `wakePipe`; it owns both from here
    /// on, and starts the handler threads that run `handler`.
    init(configuration: HTTPServerConfiguration, listeners: [Int32], wakePipe: (read: Int32, write: Int32),
         logger: Logger, refusal: @escaping HTTPServer.RefusalResponder, handler: @escaping HTTPServer.Handler) {
        self.configuration = configuration
        self.listeners = listeners
        self.wakePipe = wakePipe
        self.logger = logger
        self.refusal = refusal
        if let perMinute = configuration.requestsPerAddressPerMinute {
            requestLimiter = AddressRequestLimiter(perMinute: perMinute, burst: configuration.requestBurstPerAddress)
        }
        handlers = HTTPHandlerPool(count: configuration.handlerThreads, handler: handler) { [self] connection, response in
            lock.withLock { completions.append((connection, response)) }
            wake()
        }
    }

    // MARK: Any thread

    /// Asks ``run()`` to wind down and return (see the lifecycle above). Idempotent.
    func requestStop() {
        lock.withLock { isStopping = true }
        wake()
    }

    /// Whether ``requestStop()`` was called.
    var stopRequested: Bool { lock.withLock { isStopping } }

    /// The counters so far.
    var statistics: HTTPServerStatistics { lock.withLock { counters } }

    /// Adds one to a close reason.
    func count(_ reason: String) {
        lock.withLock { counters.closes[reason, default: 0] += 1 }
    }

    /// Updates the counters under the lock.
    func updateCounters(_ change: (inout HTTPServerStatistics) -> Void) {
        lock.withLock { change(&counters) }
    }

    /// After the I/O thread has been joined: lets queued handler jobs finish, joins the handler
    /// threads and closes the wake pipe.
    func finish() {
        handlers?.shutDown()
        close(wakePipe.read)
        close(wakePipe.write)
    }

    /// Wakes the I/O thread (a handler finished, or a stop request).
    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    // MARK: I/O thread

    /// The I/O thread's body: returns once a stop was requested and every connection is closed.
    func run() {
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var listening = true
        while true {
            let stopping = stopRequested
            if stopping && listening {
                listeners.forEach { close($0) }
                listeners = []
                listening = false
                for connection in connections.all where connection.isAwaitingRequest || connection.isLingering {
                    closeConnection(connection)
                }
            }
            takeCompletions(stopping: stopping)
            if stopping && connections.isEmpty { return }

            let now = MonotonicClock.now()
            let acceptsOpen = listening && acceptBackoff.isOpen(at: now)
            var pollFDs: [pollfd] = []
            if acceptsOpen { pollFDs += listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
            let listenerCount = pollFDs.count
            pollFDs.append(pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0))
            var polled: [HTTPConnection] = []
            var nextDeadline = listening && !acceptsOpen ? acceptBackoff.pausedUntil : Double.infinity
            for connection in connections.all {
                if let deadline = connection.deadline(configuration) { nextDeadline = min(nextDeadline, deadline) }
                guard let events = connection.pollEvents else { continue }
                pollFDs.append(pollfd(fd: connection.fd, events: events, revents: 0))
                polled.append(connection)
            }
            let timeout = nextDeadline.isFinite ? Int32(min(60_000, max(0, ((nextDeadline - now) * 1000).rounded(.up)))) : -1
            let ready = poll(&pollFDs, nfds_t(pollFDs.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                preconditionFailure("poll on the HTTP server's sockets failed: \(HTTPSockets.errorText())")
            }
            if pollFDs[listenerCount].revents != 0 { drainWakePipe() }
            for index in 0..<listenerCount where pollFDs[index].revents != 0 { acceptBatch(from: pollFDs[index].fd) }
            for (offset, connection) in polled.enumerated() {
                let events = pollFDs[listenerCount + 1 + offset].revents
                guard events != 0, connections[connection.id] === connection else { continue }
                switch connection.phase {
                case .awaitingRequest: read(connection, into: &scratch)
                case .responding: writePending(connection)
                case .lingering: drop(connection, into: &scratch)
                case .handling: break
                }
            }
            // After the reads: bytes that arrived in time are parsed before their deadline is judged,
            // however late this thread got to run.
            expireDeadlines(now: MonotonicClock.now())
        }
    }

    /// Answers the requests whose handlers finished since the last turn.
    private func takeCompletions(stopping: Bool) {
        let done: [(connection: Int, response: HTTPResponse)] = lock.withLock {
            defer { completions.removeAll() }
            return completions
        }
        for (id, response) in done {
            guard let connection = connections[id] else { continue }
            connection.served += 1
            updateCounters { $0.requests += 1 }
            let keepAlive = connection.requestWantsKeepAlive && !stopping
                && connection.served < configuration.maxRequestsPerConnection
            startResponse(connection, bytes: response.serialized(keepAlive: keepAlive), closeAfter: !keepAlive)
        }
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ Glibc.read(wakePipe.read, $0.baseAddress, $0.count) }) > 0 {}
    }
}
