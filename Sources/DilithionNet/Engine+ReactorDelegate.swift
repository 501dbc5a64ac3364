import DilithionReactor
import DilithionSystem
import DilithionWire
import Logging

/// The reactor side of the engine: everything here runs on the reactor thread.
extension Engine: ReactorDelegate {
    public func reactorDidWake(_ reactor: Reactor) {
        let commands: [ReactorCommand] = lock.withLock {
            let taken = reactorCommands
            reactorCommands.removeAll(keepingCapacity: true)
            return taken
        }
        for command in commands {
            execute(command)
        }
    }

    public func reactorDidReceiveInterrupt(_ reactor: Reactor) {
        let proceed: Bool = lock.withLock {
            guard phase == .running || phase == .draining else { return false }
            phase = .closing
            readyPeers.removeAll()
            for state in peers.values {
                state.discardInbox()
            }
            haltDispatchLocked()
            signalDispatcherLocked()
            return true
        }
        guard proceed else { return }
        logger.info("engine interrupted")
        reactor.stopListening()
        closeAllConnections()
    }

    public func reactor(_ reactor: Reactor, admitConnectionFrom remote: SocketAddress) -> UInt64? {
        let now = clock.now
        return lock.withLock {
            guard phase == .running else { return nil }
            let id = PeerID(rawValue: nextPeerID)
            nextPeerID += 1
            peers[id] = PeerState(id: id, direction: .inbound, remoteAddress: remote, lifecycle: .connected, now: now)
            // The dispatcher hears of it in `didAccept` (or, if the connection fails to start, in
            // `finalize`), once the socket is attached: its first replies can then go straight out.
            events.append(.connected(id))
            return id.rawValue
        }
    }

    public func reactor(_ reactor: Reactor, acceptFailed failure: AcceptFailure) {
        lock.withLock { counters.acceptFailures[failure, default: 0] += 1 }
        guard let failures = acceptFailureLog.record(at: clock.now) else { return }
        logger.warning(
            "accept failed: connections wait in the backlog",
            metadata: [
                "reason": "\(failure.reasonCode)", "errno": "\(failure.errnoName)", "failures": "\(failures)",
                "retry_ms": "\(configuration.acceptBackoff.engineNanoseconds / 1_000_000)",
            ])
    }

    public func reactor(_ reactor: Reactor, didAccept connection: ReactorConnection) {
        let id = PeerID(rawValue: connection.id)
        lock.withLock { peers[id]?.socket = connection.writeHandle }
        // The peer's `version` usually came with the connection: read it now, so that the
        // dispatcher wakes once for the connection and its first message (and answers straight
        // through the socket attached above).
        connection.readNow()
        notifyDispatcher(signal: lock.withLock { dispatcherSleeping })
        logger.debug("accepted", metadata: ["peer": "\(connection.id)", "remote": "\(connection.remoteAddress)"])
    }

    public func connectionDidConnect(_ connection: ReactorConnection) {
        let id = PeerID(rawValue: connection.id)
        let now = clock.now
        let wake: Bool? = lock.withLock {
            guard let state = peers[id], state.lifecycle == .connecting else { return nil }
            state.transition(to: .connected)
            state.connectedAt = now
            state.socket = connection.writeHandle
            events.append(.connected(id))
            return dispatcherSleeping
        }
        if let wake { notifyDispatcher(signal: wake) }
        logger.debug("connected", metadata: ["peer": "\(id.rawValue)", "remote": "\(connection.remoteAddress)"])
    }

    public func connection(
        _ connection: ReactorConnection, didReceive frames: inout [Frame], byteCount: Int, hasPartialFrame: Bool
    ) -> Bool {
        let id = PeerID(rawValue: connection.id)
        let now = clock.now
        let receiveCap = configuration.receiveCapBytes
        var queued = false
        var wake = false
        defer { if queued { notifyDispatcher(signal: wake) } }
        return lock.withLock {
            guard let state = peers[id], state.lifecycle == .connected else { return true }
            state.bytesReceived += byteCount
            state.lastReceive = now
            if !frames.isEmpty {
                // Per-command counters are updated once per run of equal commands, not per frame.
                var runCommand = frames[0].command
                var runMessages = 0
                var runBytes = 0
                var batchBytes = 0
                // Reversed, then popped from the end: each frame moves into the inbox in order
                // without a retain/release pair (the array is the reactor's and is emptied anyway).
                frames.reverse()
                while let frame = frames.popLast() {
                    if frame.command != runCommand {
                        state.received.add(runCommand, messages: runMessages, bytes: runBytes)
                        runCommand = frame.command
                        runMessages = 0
                        runBytes = 0
                    }
                    let size = frame.wireSize
                    runMessages += 1
                    runBytes += size
                    batchBytes += size
                    state.inbox.append(frame)
                }
                state.received.add(runCommand, messages: runMessages, bytes: runBytes)
                state.inboxBytes += batchBytes
                state.peakInboxBytes = max(state.peakInboxBytes, state.inboxBytes)
                if !state.isQueuedForDispatch, state.isDispatchable {
                    state.isQueuedForDispatch = true
                    readyPeers.append(state)
                    queued = true
                    wake = dispatcherSleeping
                }
            }
            if hasPartialFrame {
                if state.partialFrameSince == nil {
                    state.partialFrameSince = now
                    // One deadline per peer at a time: a streaming peer starts and ends partial
                    // frames thousands of times a second; the pending deadline re-arms itself
                    // for the current partial frame when it comes due.
                    if !state.partialFrameDeadlineArmed {
                        state.partialFrameDeadlineArmed = true
                        scheduleDeadlineLocked(
                            at: now.advanced(by: configuration.partialFrameTimeout), .partialFrame(id, since: now))
                    }
                }
            } else {
                state.partialFrameSince = nil
            }
            guard state.inboxBytes <= receiveCap else {
                if !state.isReadPaused {
                    state.isReadPaused = true
                    state.readPauses += 1
                }
                return false
            }
            return true
        }
    }

    public func connection(_ connection: ReactorConnection, didDropFrame error: FrameError) {
        let id = PeerID(rawValue: connection.id)
        lock.withLock {
            counters.droppedFrames += 1
            counters.frameErrors[error.detailCode, default: 0] += 1
            guard let state = peers[id] else { return }
            state.droppedFrames += 1
            guard handlers.onFramesDropped != nil else { return }
            state.unreportedDrops += 1
            state.lastDropError = error
            if state.unreportedDrops == 1 {
                events.append(.framesDropped(id))
                signalDispatcherLocked()
            }
        }
        logger.debug("frame dropped", metadata: ["peer": "\(id.rawValue)", "reason": "\(error.reasonCode)"])
    }

    public func connection(_ connection: ReactorConnection, didWrite byteCount: Int) {
        let id = PeerID(rawValue: connection.id)
        let now = clock.now
        let observers: [@Sendable (PeerID) -> Void] = lock.withLock {
            guard let state = peers[id] else { return [] }
            state.outboxBytes -= byteCount
            state.bytesSent += byteCount
            state.lastSend = now
            guard state.sendCapExceededSince != nil, state.outboxBytes <= configuration.sendCapBytes else { return [] }
            state.sendCapExceededSince = nil
            if !state.isQueuedForDispatch, state.isDispatchable {
                state.isQueuedForDispatch = true
                readyPeers.append(state)
                signalDispatcherLocked()
            }
            return sendCapObservers
        }
        for observer in observers { observer(id) }
    }

    public func connection(_ connection: ReactorConnection, didClose failure: ConnectionFailure) {
        finalize(PeerID(rawValue: connection.id), failure: failure)
    }

    // MARK: Commands

    private func execute(_ command: ReactorCommand) {
        switch command {
        case .connect(let id, let address):
            let stillWanted = lock.withLock { peers[id]?.lifecycle == .connecting }
            if stillWanted {
                reactor.connect(to: address, id: id.rawValue)
            }
        case .flush(let id):
            let chunks: [[UInt8]] = lock.withLock {
                // While the dispatcher writes optimistically (or will at the end of its batch), it
                // owns the outbox; it queues a new flush for whatever it leaves.
                guard let state = peers[id], state.optimisticSend == .idle else { return [] }
                let taken = state.outbox
                state.outbox.removeAll()
                return taken
            }
            if !chunks.isEmpty {
                reactor.connection(withID: id.rawValue)?.write(chunks)
            }
        case .close(let id):
            if let connection = reactor.connection(withID: id.rawValue) {
                connection.flushAndClose(.localRequest)
            } else {
                finalize(id, failure: .localRequest)
            }
        case .resumeReading(let id):
            let resume = lock.withLock { phase == .running && peers[id]?.isReadPaused == false }
            if resume {
                reactor.connection(withID: id.rawValue)?.resumeReading()
            }
        case .beginDrain:
            reactor.stopListening()
            for id in reactor.connectionIDs {
                reactor.connection(withID: id)?.pauseReading()
            }
        case .closeAll:
            closeAllConnections()
        }
    }

    /// Closes every connection with reason `shutdown` (unless one was chosen before), and removes
    /// peers that have no connection (an outbound connect not started yet).
    private func closeAllConnections() {
        lock.withLock {
            for state in peers.values where state.lifecycle == .connecting || state.lifecycle == .connected {
                state.transition(to: .closing)
                state.disconnectReason = .shutdown
                state.discardInbox()
                if state.optimisticSend == .pending { state.optimisticSend = .idle }
            }
            haltDispatchLocked()
        }
        for id in reactor.connectionIDs {
            reactor.connection(withID: id)?.flushAndClose(.localRequest)
        }
        let orphans = lock.withLock { Array(peers.keys) }
        for id in orphans {
            finalize(id, failure: .localRequest)
        }
    }

    /// The one place a peer leaves the table: `closing → closed`, one reason, counted and logged once.
    func finalize(_ id: PeerID, failure: ConnectionFailure) {
        let result: (DisconnectReason, PeerState)? = lock.withLock {
            guard let state = peers.removeValue(forKey: id) else { return nil }
            let reason = state.disconnectReason ?? DisconnectReason(failure)
            state.disconnectReason = reason
            if state.lifecycle != .closing {
                state.transition(to: .closing)
            }
            state.transition(to: .closed)
            state.discardInbox()
            state.outbox.removeAll()
            state.socket = nil
            haltDispatchLocked()
            counters.disconnects[reason, default: 0] += 1
            counters.departedTraffic.add(state)
            if case .frame(let error) = failure {
                counters.frameErrors[error.detailCode, default: 0] += 1
            }
            finalizationsInFlight += 1
            return (reason, state)
        }
        guard let (reason, state) = result else { return }
        // Logged before the handlers hear of it, outside the lock (the metadata is built only when
        // the line is written: a busy node closes thousands of connections a second).
        logger.info("disconnect", metadata: {
            var metadata: Logger.Metadata = [
                "peer": "\(id.rawValue)", "reason": "\(reason.rawValue)", "direction": "\(state.direction.rawValue)",
                "remote": "\(state.remoteAddress)",
            ]
            if case .frame(let error) = failure {
                metadata["detail"] = "\(error)"
            }
            return metadata
        }())
        let wake: Bool = lock.withLock {
            finalizationsInFlight -= 1
            events.append(.disconnected(id, reason))
            return dispatcherSleeping
        }
        notifyDispatcher(signal: wake)
    }
}
