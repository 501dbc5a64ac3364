import DilithionReactor
import DilithionWire

/// The dispatcher thread: lifecycle events first, then due deadlines, then a batch of messages
/// (round-robin passes over the peers with work, one message per peer per pass), all outside the
/// engine lock; then the batch's optimistic writes.
extension ConnectionManager {
    /// One message taken from a peer's inbox for this batch (`frame` is nil once delivered or
    /// withdrawn).
    private struct Delivery {
        let state: PeerState
        var frame: Frame?
    }

    func runDispatcher() {
        var batch: [Delivery] = []
        var dueEvents: [DispatcherEvent] = []
        var dueDeadlines: [Deadline] = []
        var wakeReactorNow = false
        var lastCommand = ""
        var lastHandler = handlers.handler(for: lastCommand)
        lock.lock()
        while true {
            if phase == .closing || phase == .stopped, peers.isEmpty, events.isEmpty, finalizationsInFlight == 0 {
                break
            }
            if deadlines.earliest != nil {  // no clock read while nothing is scheduled
                deadlines.popDue(clock.now, into: &dueDeadlines)
            }
            while let event = events.popFirst() {
                dueEvents.append(event)
            }
            if phase == .running || phase == .draining {
                takeBatchLocked(into: &batch, wakeReactor: &wakeReactorNow)
            }
            if batch.isEmpty, dueEvents.isEmpty, dueDeadlines.isEmpty {
                if phase == .draining {
                    // Every queued message was handled: close all connections (reason `shutdown`).
                    phase = .closing
                    reactorCommands.append(.closeAll)
                    wakeReactorNow = true
                }
                if wakeReactorNow {
                    wakeReactorNow = false
                    lock.unlock()
                    reactor.wakeUp()
                    lock.lock()
                    continue
                }
                sleepLocked()
                continue
            }
            counters.dispatcherPasses += 1
            var epoch = dispatchEpoch.load(ordering: .relaxed)
            lock.unlock()

            if wakeReactorNow {
                wakeReactorNow = false
                reactor.wakeUp()
            }
            for event in dueEvents {
                handle(event)
            }
            for deadline in dueDeadlines {
                handle(deadline)
            }
            var delivered = 0
            var unhandled = 0
            for index in batch.indices {
                if dispatchEpoch.load(ordering: .relaxed) != epoch {
                    epoch = withdrawUndeliverable(from: index, in: &batch)
                }
                guard let frame = batch[index].frame.take() else { continue }
                let state = batch[index].state
                // Consecutive messages mostly share a command: look the handler up once per change.
                if frame.command != lastCommand {
                    lastCommand = frame.command
                    lastHandler = handlers.handler(for: lastCommand)
                }
                delivered += 1
                if let handler = lastHandler {
                    handler(HandlerContext(peer: state.id, manager: self, state: state), frame)
                } else {
                    unhandled += 1
                }
            }
            if !optimisticPeers.isEmpty {
                writeOptimisticSends()
            }
            if deferredReactorWake {
                deferredReactorWake = false
                reactor.wakeUp()
            }

            lock.lock()
            counters.messagesDispatched += delivered
            counters.messagesUnhandled += unhandled
            counters.messagesWithdrawn += batch.count - delivered
            batch.removeAll(keepingCapacity: true)
            if !dueEvents.isEmpty { dueEvents.removeAll(keepingCapacity: true) }
            if !dueDeadlines.isEmpty { dueDeadlines.removeAll(keepingCapacity: true) }
        }
        lock.unlock()
    }

    /// Round-robin passes under this one lock hold: each peer in the ready queue gives at most one
    /// message per pass and goes to the back of the queue if it has more, until
    /// ``EngineConfiguration/dispatchBatchLimit`` messages are taken or no peer has any. The order
    /// is the order separate passes would deliver in. Caller holds `lock`.
    private func takeBatchLocked(into batch: inout [Delivery], wakeReactor: inout Bool) {
        let resumeBelow = configuration.receiveCapBytes / 2
        var room = configuration.dispatchBatchLimit
        while room > 0, !readyPeers.isEmpty {
            for _ in 0..<readyPeers.count {
                guard let state = readyPeers.popFirst() else { break }
                guard state.isDispatchable, let frame = state.inbox.popFirst() else {
                    state.isQueuedForDispatch = false
                    continue
                }
                state.inboxBytes -= frame.wireSize
                batch.append(Delivery(state: state, frame: frame))
                // Hysteresis: resume at half the cap so a flooding peer does not flip the read event per message.
                if state.isReadPaused, state.inboxBytes <= resumeBelow, phase == .running {
                    state.isReadPaused = false
                    reactorCommands.append(.resumeReading(state.id))
                    wakeReactor = true
                }
                if state.isDispatchable {
                    readyPeers.append(state)
                } else {
                    state.isQueuedForDispatch = false
                }
                room -= 1
                if room == 0 { break }
            }
        }
    }

    /// A peer stopped being deliverable since the batch was taken (``dispatchEpoch`` moved): the
    /// batch's remaining messages of a peer that left `connected` are dropped (its inbox was
    /// discarded too), and those of a peer over the send cap go back to the front of its inbox in
    /// their order, to be served once its outbox drained, exactly as if they had not been taken.
    /// Returns the epoch the check saw.
    private func withdrawUndeliverable(from start: Int, in batch: inout [Delivery]) -> UInt64 {
        lock.withLock {
            var returned: [ObjectIdentifier: [Frame]] = [:]
            var returnOrder: [PeerState] = []
            for index in start..<batch.count where batch[index].frame != nil {
                let state = batch[index].state
                if state.lifecycle != .connected {
                    batch[index].frame = nil
                } else if state.isSendPaused || returned[ObjectIdentifier(state)] != nil {
                    let frame = batch[index].frame.take()!
                    if returned[ObjectIdentifier(state)] == nil { returnOrder.append(state) }
                    returned[ObjectIdentifier(state), default: []].append(frame)
                }
            }
            for state in returnOrder {
                let frames = returned[ObjectIdentifier(state)] ?? []
                state.inbox.prepend(contentsOf: frames)
                state.inboxBytes += frames.reduce(0) { $0 + $1.wireSize }
            }
            return dispatchEpoch.load(ordering: .relaxed)
        }
    }

    /// Sleeps until signalled, or until the earliest deadline on a monotonic clock. Caller holds `lock`.
    private func sleepLocked() {
        dispatcherSleeping = true
        counters.dispatcherSleeps += 1
        if clock.followsMonotonicTime, let earliest = deadlines.earliest {
            dispatcherCondition.wait(lock, untilMonotonicNanoseconds: clock.monotonicNanoseconds(at: earliest.instant))
        } else {
            dispatcherCondition.wait(lock)
        }
        dispatcherSleeping = false
    }

    private func handle(_ event: DispatcherEvent) {
        switch event {
        case .connected(let id):
            if let state = lock.withLock({ peers[id] }) {
                handlers.onConnect?(HandlerContext(peer: id, manager: self, state: state), state.direction)
            }
        case .disconnected(let id, let reason):
            handlers.onDisconnect?(id, reason)
        case .framesDropped(let id):
            let report: (FrameError, Int)? = lock.withLock {
                guard let state = peers[id], state.lifecycle == .connected, let error = state.lastDropError else { return nil }
                defer { state.unreportedDrops = 0 }
                return (error, state.unreportedDrops)
            }
            if let (error, count) = report {
                handlers.onFramesDropped?(HandlerContext(peer: id, manager: self), error, count)
            }
        }
    }

    private func handle(_ deadline: Deadline) {
        switch deadline.kind {
        case .connect(let id):
            let pending = lock.withLock { peers[id]?.lifecycle == .connecting }
            if pending { disconnect(id, reason: .connectTimeout) }
        case .partialFrame(let id, let since):
            let stuck: Bool = lock.withLock {
                guard let state = peers[id] else { return false }
                if state.partialFrameSince == since { return true }
                if let current = state.partialFrameSince {
                    // A later partial frame: its deadline is `timeout` after it began.
                    scheduleDeadlineLocked(
                        at: current.advanced(by: configuration.partialFrameTimeout), .partialFrame(id, since: current))
                } else {
                    state.partialFrameDeadlineArmed = false
                }
                return false
            }
            if stuck { disconnect(id, reason: .partialFrameTimeout) }
        case .sendCap(let id, let since):
            let stuck = lock.withLock { peers[id]?.sendCapExceededSince == since }
            if stuck { disconnect(id, reason: .sendBufferFull) }
        case .timer(let id, let tag):
            let connected = lock.withLock { peers[id]?.lifecycle == .connected }
            if connected { handlers.onTimer?(HandlerContext(peer: id, manager: self), tag) }
        }
    }
}
