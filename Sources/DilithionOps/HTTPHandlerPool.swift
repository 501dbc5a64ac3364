import DilithionSystem

/// The threads that run an ``HTTPServer``'s request handler: the I/O thread submits a request, a
/// free thread runs the handler, and the result is passed to `complete` (which queues it for the
/// I/O thread). At most one job per connection is ever queued, so the queue is bounded by the
/// server's connection limit.
///
/// Lifecycle: created with its threads running → ``shutDown()`` (jobs already queued still run,
/// then the threads end and are joined).
final class HTTPHandlerPool: @unchecked Sendable {
    typealias Job = (connection: Int, request: HTTPRequest)

    private let lock = PThreadMutex()
    private let wakeup = ConditionVariable()
    // guarded by lock
    private var jobs: [Job] = []  // a handful at most: removeFirst() is cheap at this size
    private var isShuttingDown = false
    // written in init, then only joined by shutDown()
    private var threads: [NativeThread] = []

    /// Starts `count` threads that answer each job with `handler` and hand the response to `complete`.
    init(count: Int, handler: @escaping HTTPServer.Handler,
         complete: @escaping @Sendable (_ connection: Int, _ response: HTTPResponse) -> Void) {
        threads = (0..<max(1, count)).map { _ in
            NativeThread { [self] in
                while let job = next() { complete(job.connection, handler(job.request)) }
            }
        }
    }

    /// Queues a request.
    func submit(connection: Int, request: HTTPRequest) {
        lock.withLock {
            jobs.append((connection, request))
            wakeup.signal()
        }
    }

    /// Lets queued jobs finish, then ends and joins every thread. Idempotent.
    func shutDown() {
        let toJoin: [NativeThread] = lock.withLock {
            isShuttingDown = true
            wakeup.broadcast()
            defer { threads = [] }
            return threads
        }
        toJoin.forEach { $0.join() }
    }

    /// The next job; nil once shutting down with nothing left.
    private func next() -> Job? {
        lock.withLock {
            while true {
                if !jobs.isEmpty { return jobs.removeFirst() }
                if isShuttingDown { return nil }
                wakeup.wait(lock)
            }
        }
    }
}
