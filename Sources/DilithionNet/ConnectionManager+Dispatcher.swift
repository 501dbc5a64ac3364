import DilithionReactor
import DilithionSystem
import DilithionWire

/// The dispatcher thread: lifecycle events first, then due deadlines, then one message from each
/// peer with work (round-robin), all outside the engine lock.
extension ConnectionManager {
    /// One message taken from a peer's inbox for this pass.
    private struct Delivery {
        let peer: PeerID
        let frame: Frame
    }

    func runDispatcher() {
        var deliveries: [Delivery] = []
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
                takeOneMessagePerPeerLocked(into: &deliveries, wakeReactor: &wakeReactorNow)
            }
            if deliveries.isEmpty, dueEvents.isEmpty, dueDeadlines.isEmpty {
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
            var unhandled = 0
            for delivery in deliveries {
                // Consecutive messages mostly share a command: look the handler up once per change.
                if delivery.frame.command != lastCommand {
                    lastCommand = delivery.frame.command
                    lastHandler = handlers.handler(for: lastCommand)
                }
                if let handler = lastHandler {
                    handler(HandlerContext(peer: delivery.peer, manager: self), delivery.frame)
                } else {
                    unhandled += 1
                }
            }
            if deferredReactorWake {
                deferredReactorWake = false
                reactor.wakeUp()
            }

            lock.lock()
            counters.messagesDispatched += deliveries.count
            counters.messagesUnhandled += unhandled
            deliveries.removeAll(keepingCapacity: true)
            if !dueEvents.isEmpty { dueEvents.removeAll(keepingCapacity: true) }
            if !dueDeadlines.isEmpty { dueDeadlines.removeAll(keepingCapacity: true) }
        }
        lock.unlock()
    }

    /// One pass of round-robin: each peer in the ready queue gives at most one message and goes to
    /// the back of the queue if it has more. Caller holds `lock`.
    private func takeOneMessagePerPeerLocked(into deliveries: inout [Delivery], wakeReactor: inout Bool) {
        let resumeBelow = configuration.receiveCapBytes / 2
        for _ in 0..<readyPeers.count {
            guard let state = readyPeers.popFirst() else { break }
            guard state.isDispatchable, let frame = state.inbox.popFirst() else {
                state.isQueuedForDispatch = false
                continue
            }
            state.inboxBytes -= frame.wireSize
            let id = state.id
            deliveries.append(Delivery(peer: id, frame: frame))
            // Hysteresis: resume at half the cap so a flooding peer does not flip the read event per message.
            if state.isReadPaused, state.inboxBytes <= resumeBelow, phase == .running {
                state.isReadPaused = false
                reactorCommands.append(.resumeReading(id))
                wakeReactor = true
            }
            if state.isDispatchable {
                readyPeers.append(state)
            } else {
                state.isQueuedForDispatch = false
            }
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
            let direction = lock.withLock { peers[id]?.direction }
            if let direction {
                handlers.onConnect?(HandlerContext(peer: id, manager: self), direction)
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
