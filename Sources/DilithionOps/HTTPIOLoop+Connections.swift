import DilithionSystem
#if canImport(Glibc)
import Glibc
#endif

/// What the I/O thread does with connections: accept (making room under the limits), read and
/// dispatch requests, write responses, expire deadlines, close. I/O thread only.
extension HTTPIOLoop {
    // MARK: Accepting

    func acceptBatch(from listener: Int32) {
        for _ in 0..<Self.acceptsPerWakeup {
            guard let (fd, address) = HTTPSockets.acceptClient(listener) else {
                switch errno {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                    return
                default:
                    // EMFILE/ENFILE (out of descriptors), ENOBUFS/ENOMEM: the connection waits in the
                    // backlog while the listeners rest (see AcceptBackoff).
                    let reason = HTTPSockets.errorText()
                    count("accept-error")
                    if acceptBackoff.recordFailure(at: MonotonicClock.now()) {
                        logger.warning("http accept failed: \(reason); pausing accepts for \(AcceptBackoff.pauseSeconds) s")
                    }
                    return
                }
            }
            admit(fd: fd, address: address)
        }
    }

    /// Takes a new connection in, making room first when a limit is reached.
    private func admit(fd: Int32, address: String) {
        updateCounters { $0.accepted += 1 }
        if let perAddress = configuration.maxConnectionsPerAddress, connections.count(from: address) >= perAddress {
            // Make room among the address's own connections; never another client's.
            guard let victim = connections.evictionCandidate(from: address) else {
                refuse(fd: fd, status: 503, reason: "too many connections from \(address)", counted: "per-address")
                return
            }
            evict(victim)
        }
        if connections.count >= configuration.maxConnections {
            guard let victim = connections.evictionCandidate(from: nil) else {
                refuse(fd: fd, status: 503, reason: "too many connections", counted: "full")
                return
            }
            evict(victim)
        }
        connections.insert(fd: fd, address: address, parser: HTTPRequestParser(configuration: configuration), now: MonotonicClock.now())
        updateCounters { [count = connections.count] in $0.openConnections = count }
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

    func read(_ connection: HTTPConnection, into scratch: inout [UInt8]) {
        guard let count = HTTPSockets.receive(connection.fd, into: &scratch) else { return }
        if count > 0 {
            connection.parser.append(scratch[0..<count])
            dispatchNext(connection)
        } else {
            closeConnection(connection)  // the client closed or reset
        }
    }

    /// Reads and drops what a client sends after its last response; closes on its EOF.
    func drop(_ connection: HTTPConnection, into scratch: inout [UInt8]) {
        guard case .lingering(let dropped) = connection.phase,
              let count = HTTPSockets.receive(connection.fd, into: &scratch) else { return }
        if count > 0 && dropped + count < HTTPConnection.lingerMaxBytes {
            connection.phase = .lingering(dropped: dropped + count)
        } else {
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

    private func respondAndClose(_ connection: HTTPConnection, status: Int, reason: String) {
        startResponse(connection, bytes: refusal(status, reason).serialized(keepAlive: false), closeAfter: true)
    }

    func startResponse(_ connection: HTTPConnection, bytes: [UInt8], closeAfter: Bool) {
        connection.phase = .responding(bytes: bytes, offset: 0, closeAfter: closeAfter)
        connection.phaseStart = MonotonicClock.now()
        writePending(connection)
    }

    /// Sends what the socket takes; on completion closes or goes back to reading (and serves a
    /// request already buffered behind the last one).
    func writePending(_ connection: HTTPConnection) {
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
            if stopRequested {
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

    func expireDeadlines(now: Double) {
        for connection in connections.all {
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
        guard connections.remove(connection) else { return }
        // Counted before the close, so a client that sees its connection end also sees the count.
        updateCounters { [count = connections.count] in $0.openConnections = count }
        close(connection.fd)
    }
}
