import DilithionReactor
import DilithionSystem
import DilithionWire
import Logging

/// The reactor side of the engine: the ``Reactor``'s delegate. Everything here runs on the reactor
/// thread: accepted and connected peers enter the ``PeerTable``, framed bytes go into their
/// inboxes (and the peers onto the ready queue), written bytes are booked, the commands the other
/// threads queued (connect, flush, close, resume reading, drain) are carried out, and a closed
/// connection leaves the table through ``finalize(_:failure:)``, the one place a peer leaves it.
///
/// Ownership: `acceptFailureLog` is the reactor thread's; everything shared is the table's, under
/// its lock. It holds no reference to the ``Engine`` (the reactor holds it strongly).
final class EngineReactorDelegate: ReactorDelegate, @unchecked Sendable {
    let table: PeerTable
    let configuration: EngineConfiguration
    let clock: EngineClock
    let logger: Logger
    /// Whether a handler wants dropped frames reported (``MessageHandlers/onFramesDropped``).
    let reportsDroppedFrames: Bool

    // reactor thread only: when the next line about failing accepts may be logged
    var acceptFailureLog: AcceptFailureLog

    init(table: PeerTable, configuration: EngineConfiguration, clock: EngineClock, logger: Logger,
         reportsDroppedFrames: Bool) {
        self.table = table
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.reportsDroppedFrames = reportsDroppedFrames
        self.acceptFailureLog = AcceptFailureLog(interval: configuration.acceptFailureLogInterval)
    }

    public func reactorDidWake(_ reactor: Reactor) {
        let commands: [ReactorCommand] = table.lock.withLock {
            let taken = table.reactorCommands
            table.reactorCommands.removeAll(keepingCapacity: true)
            return taken
        }
        for command in commands {
            execute(command, on: reactor)
        }
    }

    public func reactorDidReceiveInterrupt(_ reactor: Reactor) {
        let proceed: Bool = table.lock.withLock {
            guard table.phase == .running || table.phase == .draining else { return false }
            table.phase = .closing
            table.readyPeers.removeAll()
            for state in table.peers.values {
                state.discardInbox()
            }
            table.haltDispatchLocked()
            table.signalDispatcherLocked()
            return true
        }
        guard proceed else { return }
        logger.info("engine interrupted")
        reactor.stopListening()
        closeAllConnections(on: reactor)
    }

    public func reactor(_ reactor: Reactor, admitConnectionFrom remote: SocketAddress) -> UInt64? {
        let now = clock.now
        return table.lock.withLock {
            guard table.phase == .running else { return nil }
            let id = table.addPeerLocked(direction: .inbound, remoteAddress: remote, lifecycle: .connected, now: now)
            // The dispatcher hears of it in `didAccept` (or, if the connection fails to start, in
            // `finalize`), once the socket is attached: its first replies can then go straight out.
            table.events.append(.connected(id))
            return id.rawValue
        }
    }

    public func reactor(_ reactor: Reactor, acceptFailed failure: AcceptFailure) {
        table.lock.withLock { table.counters.acceptFailures[failure, default: 0] += 1 }
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
        table.lock.withLock { table.peers[id]?.socket = connection.writeHandle }
        // The peer's `version` usually came with the connection: read it now, so that the
        // dispatcher wakes once for the connection and its first message (and answers straight
        // through the socket attached above).
        connection.readNow()
        table.notifyDispatcher(signal: table.lock.withLock { table.dispatcherNeedsSignalLocked() })
        logger.debug("accepted", metadata: ["peer": "\(connection.id)", "remote": "\(connection.remoteAddress)"])
    }

    public func connectionDidConnect(_ connection: ReactorConnection) {
        let id = PeerID(rawValue: connection.id)
        let now = clock.now
        let wake: Bool? = table.lock.withLock {
            guard let state = table.peers[id], state.lifecycle == .connecting else { return nil }
            state.transition(to: .connected)
            state.connectedAt = now
            state.socket = connection.writeHandle
            table.events.append(.connected(id))
            return table.dispatcherNeedsSignalLocked()
        }
        if let wake { table.notifyDispatcher(signal: wake) }
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
        defer { if queued { table.notifyDispatcher(signal: wake) } }
        return table.lock.withLock {
            guard let state = table.peers[id], state.lifecycle == .connected else { return true }
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
                    table.readyPeers.append(state)
                    queued = true
                    wake = table.dispatcherNeedsSignalLocked()
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
                        table.scheduleDeadlineLocked(
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
        table.lock.withLock {
            table.counters.droppedFrames += 1
            table.counters.frameErrors[error.detailCode, default: 0] += 1
            guard let state = table.peers[id] else { return }
            state.droppedFrames += 1
            guard reportsDroppedFrames else { return }
            state.unreportedDrops += 1
            state.lastDropError = error
            if state.unreportedDrops == 1 {
                table.events.append(.framesDropped(id))
                table.signalDispatcherLocked()
            }
        }
        logger.debug("frame dropped", metadata: ["peer": "\(id.rawValue)", "reason": "\(error.reasonCode)"])
    }

    public func connection(_ connection: ReactorConnection, didWrite byteCount: Int) {
        let id = PeerID(rawValue: connection.id)
        let now = clock.now
        let observers: [@Sendable (PeerID) -> Void] = table.lock.withLock {
            guard let state = table.peers[id] else { return [] }
            state.outboxBytes -= byteCount
            state.bytesSent += byteCount
            state.lastSend = now
            guard state.sendCapExceededSince != nil, state.outboxBytes <= configuration.sendCapBytes else { return [] }
            state.sendCapExceededSince = nil
            if !state.isQueuedForDispatch, state.isDispatchable {
                state.isQueuedForDispatch = true
                table.readyPeers.append(state)
                table.signalDispatcherLocked()
            }
            return table.sendCapObservers
        }
        for observer in observers { observer(id) }
    }

    public func connection(_ connection: ReactorConnection, didClose failure: ConnectionFailure) {
        finalize(PeerID(rawValue: connection.id), failure: failure)
    }

    // MARK: Commands

    private func execute(_ command: ReactorCommand, on reactor: Reactor) {
        switch command {
        case .connect(let id, let address):
            let stillWanted = table.lock.withLock { table.peers[id]?.lifecycle == .connecting }
            if stillWanted {
                reactor.connect(to: address, id: id.rawValue)
            }
        case .flush(let id):
            let chunks: [[UInt8]] = table.lock.withLock {
                // While the dispatcher writes optimistically (or will at the end of its batch), it
                // owns the outbox; it queues a new flush for whatever it leaves.
                guard let state = table.peers[id], state.optimisticSend == .idle else { return [] }
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
            let resume = table.lock.withLock { table.phase == .running && table.peers[id]?.isReadPaused == false }
            if resume {
                reactor.connection(withID: id.rawValue)?.resumeReading()
            }
        case .beginDrain:
            reactor.stopListening()
            for id in reactor.connectionIDs {
                reactor.connection(withID: id)?.pauseReading()
            }
        case .closeAll:
            closeAllConnections(on: reactor)
        }
    }

    /// Closes every connection with reason `shutdown` (unless one was chosen before), and removes
    /// peers that have no connection (an outbound connect not started yet).
    private func closeAllConnections(on reactor: Reactor) {
        table.lock.withLock {
            for state in table.peers.values where state.lifecycle == .connecting || state.lifecycle == .connected {
                state.transition(to: .closing)
                state.disconnectReason = .shutdown
                state.discardInbox()
                if state.optimisticSend == .pending { state.optimisticSend = .idle }
            }
            table.haltDispatchLocked()
        }
        for id in reactor.connectionIDs {
            reactor.connection(withID: id)?.flushAndClose(.localRequest)
        }
        let orphans = table.lock.withLock { Array(table.peers.keys) }
        for id in orphans {
            finalize(id, failure: .localRequest)
        }
    }

    /// The one place a peer leaves the table: `closing → closed`, one reason, counted and logged once.
    func finalize(_ id: PeerID, failure: ConnectionFailure) {
        let result: (DisconnectReason, PeerState)? = table.lock.withLock {
            guard let state = table.peers.removeValue(forKey: id) else { return nil }
            let reason = state.disconnectReason ?? DisconnectReason(failure)
            state.disconnectReason = reason
            if state.lifecycle != .closing {
                state.transition(to: .closing)
            }
            state.transition(to: .closed)
            state.discardInbox()
            state.outbox.removeAll()
            state.socket = nil
            table.haltDispatchLocked()
            table.counters.disconnects[reason, default: 0] += 1
            table.counters.departedTraffic.add(state)
            if case .frame(let error) = failure {
                table.counters.frameErrors[error.detailCode, default: 0] += 1
            }
            table.finalizationsInFlight += 1
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
        let wake: Bool = table.lock.withLock {
            table.finalizationsInFlight -= 1
            table.events.append(.disconnected(id, reason))
            return table.dispatcherNeedsSignalLocked()
        }
        table.notifyDispatcher(signal: wake)
    }
}
