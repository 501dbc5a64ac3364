import DilithionReactor
import DilithionSystem
import DilithionWire

/// The dispatcher thread: lifecycle events first, then due deadlines, then a batch of messages
/// (round-robin passes over the peers with work, one message per peer per pass), all outside the
/// engine lock; then the batch's optimistic writes.
extension Engine {
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
        // Messages per batch: sized from the handlers' recent cost so that a batch fits its time
        // budget (cheap pings: large batches, few writes; expensive requests: small ones).
        var batchLimit = min(64, configuration.dispatchBatchLimit)
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
                takeBatchLocked(into: &batch, limit: batchLimit)
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
            var deferred = 0
            let batchStart = MonotonicClock.nanoseconds()
            let budget = configuration.dispatchBatchBudget.engineNanoseconds
            let budgetEnd = batchStart &+ budget
            for index in batch.indices {
                if dispatchEpoch.load(ordering: .relaxed) != epoch {
                    epoch = withdrawUndeliverable(from: index, in: &batch)
                }
                // A long batch yields every 16 messages once its time is up: the rest goes back to
                // the inboxes, so events, deadlines, replies and newly ready peers wait at most
                // about one budget, whatever the handlers cost.
                if index & 15 == 0, index > 0, MonotonicClock.nanoseconds() > budgetEnd {
                    deferred = returnToInboxes(from: index, in: &batch)
                    break
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
                    handler(EngineContext(peer: state.id, manager: self, state: state), frame)
                } else {
                    unhandled += 1
                }
            }
            if delivered > 0 {
                let perMessage = max(1, (MonotonicClock.nanoseconds() &- batchStart) / UInt64(delivered))
                let fitting = Int(min(budget / perMessage, UInt64(configuration.dispatchBatchLimit)))
                batchLimit = min(configuration.dispatchBatchLimit, max(16, (batchLimit + fitting) / 2))
            }
            if !optimisticPeers.isEmpty {
                writeOptimisticSends()
            }
            if deferredReactorWake {
                deferredReactorWake = false
                reactor.wakeUp()
            }

            lock.lock()
            resumeReadingLocked(after: batch, wakeReactor: &wakeReactorNow)
            counters.messagesDispatched += delivered
            counters.messagesUnhandled += unhandled
            counters.messagesWithdrawn += batch.count - delivered - deferred
            counters.messagesDeferred += deferred
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
    private func takeBatchLocked(into batch: inout [Delivery], limit: Int) {
        var room = limit
        while room > 0, !readyPeers.isEmpty {
            for _ in 0..<readyPeers.count {
                guard let state = readyPeers.popFirst() else { break }
                guard state.isDispatchable, let frame = state.inbox.popFirst() else {
                    state.isQueuedForDispatch = false
                    continue
                }
                state.inboxBytes -= frame.wireSize
                batch.append(Delivery(state: state, frame: frame))
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

    /// Resumes reading for the batch's peers whose inbox, now that the batch is over (and what it
    /// handed back is back), is at half the receive cap or less. Hysteresis: a flooding peer does
    /// not flip its read event per message. Caller holds `lock`.
    private func resumeReadingLocked(after batch: [Delivery], wakeReactor: inout Bool) {
        let resumeBelow = configuration.receiveCapBytes / 2
        for delivery in batch {
            let state = delivery.state
            if state.isReadPaused, state.inboxBytes <= resumeBelow, phase == .running {
                state.isReadPaused = false
                reactorCommands.append(.resumeReading(state.id))
                wakeReactor = true
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
            returnLocked(from: start, in: &batch) { $0.isSendPaused }
            return dispatchEpoch.load(ordering: .relaxed)
        }
    }

    /// The batch ran out of time: every message from `start` on goes back to the front of its
    /// peer's inbox, in order, and the peer back on the ready queue (those of a peer that left
    /// `connected` are dropped). Returns how many went back.
    private func returnToInboxes(from start: Int, in batch: inout [Delivery]) -> Int {
        lock.withLock {
            returnLocked(from: start, in: &batch) { _ in true }
        }
    }

    /// Drops the batch's remaining messages (from `start`) of peers no longer connected and puts
    /// back those of peers for which `putBack` holds (and every later one of such a peer, so its
    /// order is kept). A peer that got messages back and may be served is queued again. Returns
    /// how many went back. Caller holds `lock`.
    /// `putBack` must depend on the peer only (it is, for every message of one peer in the batch).
    @discardableResult
    private func returnLocked(from start: Int, in batch: inout [Delivery], putBack: (PeerState) -> Bool) -> Int {
        guard start < batch.count else { return 0 }
        var count = 0
        // Backwards, each frame in front of its inbox: every peer's frames end up in their order.
        for index in (start..<batch.count).reversed() where batch[index].frame != nil {
            let state = batch[index].state
            if state.lifecycle != .connected {
                batch[index].frame = nil
            } else if putBack(state) {
                let frame = batch[index].frame.take()!
                state.inboxBytes += frame.wireSize
                state.inbox.prepend(frame)
                count += 1
            }
        }
        guard count > 0 else { return 0 }
        for index in start..<batch.count {
            let state = batch[index].state
            if !state.isQueuedForDispatch, state.isDispatchable {
                state.isQueuedForDispatch = true
                readyPeers.append(state)
            }
        }
        return count
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
                handlers.onConnect?(EngineContext(peer: id, manager: self, state: state), state.direction)
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
                handlers.onFramesDropped?(EngineContext(peer: id, manager: self), error, count)
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
            if connected { handlers.onTimer?(EngineContext(peer: id, manager: self), tag) }
        }
    }
}
