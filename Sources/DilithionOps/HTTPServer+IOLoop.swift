import DilithionSystem
#if canImport(Glibc)
import Glibc
#endif

/// The I/O thread of ``HTTPServer``: accept, read and parse, hand complete requests to the handler
/// pool, write responses, enforce deadlines and limits. Everything here runs on that one thread.
extension HTTPServer {
    /// Connections accepted per listener wakeup, so a flood on one listener cannot starve the rest.
    private static let acceptsPerWakeup = 64
    /// After running out of descriptors, the listeners rest this long (a readable listener that
    /// cannot be accepted would otherwise spin the loop).
    private static let acceptPauseSeconds = 0.1

    func ioLoop() {
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var listening = true
        while true {
            let stopping = lock.withLock { isStopping }
            if stopping && listening {
                listeners.forEach { close($0) }
                listeners = []
                listening = false
                for connection in connections.values where connection.isAwaitingRequest || connection.isLingering {
                    closeConnection(connection)
                }
            }
            takeCompletions(stopping: stopping)
            if stopping && connections.isEmpty { return }

            let now = MonotonicClock.now()
            let acceptsOpen = listening && now >= acceptPausedUntil
            var pollFDs: [pollfd] = []
            if acceptsOpen { pollFDs += listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
            let listenerCount = pollFDs.count
            pollFDs.append(pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0))
            var polled: [HTTPConnection] = []
            var nextDeadline = listening && !acceptsOpen ? acceptPausedUntil : Double.infinity
            for connection in connections.values {
                if let deadline = connection.deadline(configuration) { nextDeadline = min(nextDeadline, deadline) }
                switch connection.phase {
                case .awaitingRequest, .lingering: pollFDs.append(pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0))
                case .responding: pollFDs.append(pollfd(fd: connection.fd, events: Int16(POLLOUT), revents: 0))
                case .handling: continue
                }
                polled.append(connection)
            }
            let timeout = nextDeadline.isFinite ? Int32(min(60_000, max(0, ((nextDeadline - now) * 1000).rounded(.up)))) : -1
            let ready = poll(&pollFDs, nfds_t(pollFDs.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                preconditionFailure("poll on the HTTP server's sockets failed: \(Self.errorText())")
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

    // MARK: Accepting

    private func acceptBatch(from listener: Int32) {
        for _ in 0..<Self.acceptsPerWakeup {
            guard let (fd, address) = Self.acceptClient(listener) else {
                switch errno {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                    return
                default:
                    // EMFILE/ENFILE (out of descriptors), ENOBUFS/ENOMEM: the connection waits in the
                    // backlog; rest the listeners briefly so the loop does not spin on them.
                    count("accept-error")
                    let now = MonotonicClock.now()
                    acceptPausedUntil = now + Self.acceptPauseSeconds
                    if now - lastAcceptErrorLog >= 10 {
                        lastAcceptErrorLog = now
                        logger.warning("http accept failed: \(Self.errorText()); pausing accepts for \(Self.acceptPauseSeconds) s")
                    }
                    return
                }
            }
            admit(fd: fd, address: address)
        }
    }

    /// Takes a new connection in, making room first when a limit is reached.
    private func admit(fd: Int32, address: String) {
        lock.withLock { counters.accepted += 1 }
        if let perAddress = configuration.maxConnectionsPerAddress, connectionsPerAddress[address, default: 0] >= perAddress {
            // Make room among the address's own connections; never another client's.
            guard let victim = oldestAwaitingRequest(from: address) else {
                refuse(fd: fd, status: 503, reason: "too many connections from \(address)", counted: "per-address")
                return
            }
            evict(victim)
        }
        if connections.count >= configuration.maxConnections {
            guard let victim = oldestAwaitingRequest(from: nil) else {
                refuse(fd: fd, status: 503, reason: "too many connections", counted: "full")
                return
            }
            evict(victim)
        }
        nextConnectionID += 1
        let connection = HTTPConnection(id: nextConnectionID, fd: fd, address: address,
                                        parser: HTTPRequestParser(configuration: configuration), now: MonotonicClock.now())
        connections[connection.id] = connection
        connectionsPerAddress[address, default: 0] += 1
        lock.withLock { counters.openConnections = connections.count }
    }

    /// The connection (of `address`, or any) to close to make room: one already answered and
    /// lingering, else the one that has waited longest for a request to arrive.
    private func oldestAwaitingRequest(from address: String?) -> HTTPConnection? {
        let candidates = connections.values.filter { address == nil || $0.address == address }
        return candidates.first(where: \.isLingering)
            ?? candidates.filter(\.isAwaitingRequest).min { $0.phaseStart < $1.phaseStart }
    }

    /// Closes `victim` to make room; counted unless it had been answered already (lingering).
    private func evict(_ victim: HTTPConnection) {
        if !victim.isLingering {
            count("evicted")
            logger.debug("http: closing the connection that waited longest for its request (\(victim.address)) to make room")
        }
        closeConnection(victim)
    }

    private func refuse(fd: Int32, status: Int, reason: String, counted: String) {
        count(counted)
        let bytes = refusal(status, reason).serialized(keepAlive: false)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        close(fd)
        logger.debug("http connection refused: \(reason)")
    }

    // MARK: Reading and dispatching

    private func read(_ connection: HTTPConnection, into scratch: inout [UInt8]) {
        let count = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            connection.parser.append(scratch[0..<count])
            dispatchNext(connection)
        } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            closeConnection(connection)  // the client closed or reset
        }
    }

    /// Reads and drops what a client sends after its last response; closes on its EOF.
    private func drop(_ connection: HTTPConnection, into scratch: inout [UInt8]) {
        guard case .lingering(let dropped) = connection.phase else { return }
        let count = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
        if count > 0 && dropped + count < HTTPConnection.lingerMaxBytes {
            connection.phase = .lingering(dropped: dropped + count)
        } else if count > 0 || count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            closeConnection(connection)
        }
    }

    /// Hands the next buffered request to the handler pool, or refuses it.
    private func dispatchNext(_ connection: HTTPConnection) {
        let request: HTTPRequest
        do {
            guard let next = try connection.parser.nextRequest() else { return }
            request = next
        } catch {
            count("malformed")
            logger.debug("http request refused (\(connection.address)): \(error.message)")
            respondAndClose(connection, status: error.status, reason: error.message)
            return
        }
        let now = MonotonicClock.now()
        if requestLimiter?.admit(connection.address, now: now) == false {
            count("rate-limited")
            respondAndClose(connection, status: 429, reason: "too many requests from \(connection.address); try again in a minute")
            return
        }
        var addressed = request
        addressed.clientAddress = connection.address
        connection.phase = .handling
        connection.requestWantsKeepAlive = request.wantsKeepAlive
        handlers?.submit(connection: connection.id, request: addressed)
    }

    // MARK: Responding

    private func takeCompletions(stopping: Bool) {
        let done: [(connection: Int, response: HTTPResponse)] = lock.withLock {
            defer { completions.removeAll() }
            return completions
        }
        for (id, response) in done {
            guard let connection = connections[id] else { continue }
            connection.served += 1
            lock.withLock { counters.requests += 1 }
            let keepAlive = connection.requestWantsKeepAlive && !stopping
                && connection.served < configuration.maxRequestsPerConnection
            startResponse(connection, bytes: response.serialized(keepAlive: keepAlive), closeAfter: !keepAlive)
        }
    }

    private func respondAndClose(_ connection: HTTPConnection, status: Int, reason: String) {
        startResponse(connection, bytes: refusal(status, reason).serialized(keepAlive: false), closeAfter: true)
    }

    private func startResponse(_ connection: HTTPConnection, bytes: [UInt8], closeAfter: Bool) {
        connection.phase = .responding(bytes: bytes, offset: 0, closeAfter: closeAfter)
        connection.phaseStart = MonotonicClock.now()
        writePending(connection)
    }

    /// Sends what the socket takes; on completion closes or goes back to reading (and serves a
    /// request already buffered behind the last one).
    private func writePending(_ connection: HTTPConnection) {
        guard case .responding(let bytes, var offset, let closeAfter) = connection.phase else { return }
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                connection.phase = .responding(bytes: bytes, offset: offset, closeAfter: closeAfter)
                return
            } else {
                closeConnection(connection)
                return
            }
        }
        if closeAfter {
            // Shutting down: no lingering, so that a client that never closes cannot delay stop().
            if lock.withLock({ isStopping }) {
                closeConnection(connection)
                return
            }
            shutdown(connection.fd, Int32(SHUT_WR))
            connection.phase = .lingering(dropped: 0)
            connection.phaseStart = MonotonicClock.now()
            return
        }
        connection.phase = .awaitingRequest
        connection.phaseStart = MonotonicClock.now()
        dispatchNext(connection)
    }

    // MARK: Deadlines and closing

    private func expireDeadlines(now: Double) {
        for connection in connections.values {
            guard let deadline = connection.deadline(configuration), now >= deadline else { continue }
            switch connection.phase {
            case .awaitingRequest where connection.isIdle:
                count("idle-timeout")
                closeConnection(connection)
            case .awaitingRequest where connection.parser.isReadingBody:
                count("request-timeout")
                respondAndClose(connection, status: 408, reason: "request timeout")
            case .awaitingRequest:
                count("header-timeout")
                respondAndClose(connection, status: 408, reason: "request timeout")
            case .responding:
                count("send-timeout")
                closeConnection(connection)
            case .lingering:
                closeConnection(connection)
            case .handling:
                break
            }
        }
    }

    func closeConnection(_ connection: HTTPConnection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        let remaining = connectionsPerAddress[connection.address, default: 1] - 1
        connectionsPerAddress[connection.address] = remaining > 0 ? remaining : nil
        // Counted before the close, so a client that sees its connection end also sees the count.
        lock.withLock { counters.openConnections = connections.count }
        close(connection.fd)
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ Glibc.read(wakePipe.read, $0.baseAddress, $0.count) }) > 0 {}
    }
}
