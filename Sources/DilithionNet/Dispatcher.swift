#if canImport(Glibc)
import Glibc
#endif
import DilithionReactor
import DilithionSystem
import DilithionWire
import Synchronization

/// The dispatcher thread: lifecycle events first, then due deadlines, then a batch of messages
/// (round-robin passes over the peers with work, one message per peer per pass), all outside the
/// engine lock; then the batch's optimistic writes (``OptimisticWriter``).
///
/// Batches: up to ``EngineConfiguration/dispatchBatchLimit`` messages are taken under one hold of
/// the table's lock, in the order separate round-robin passes would give. Before each message the
/// dispatcher compares ``PeerTable/dispatchEpoch`` with the value it took the batch at; if it
/// moved, the batch's remaining messages of peers that left `connected` are dropped and those of
/// peers over the send cap go back to the front of their inbox.
///
/// Ownership: the state below is the dispatcher thread's (written on it only), except where a
/// property says otherwise; the shared state is the ``PeerTable``'s, under its lock.
final class Dispatcher: @unchecked Sendable {
    /// The engine whose handlers run here (it owns this dispatcher; its thread closure keeps it alive).
    unowned let engine: Engine
    let table: PeerTable
    let handlers: MessageHandlers
    let configuration: EngineConfiguration
    let clock: EngineClock
    let reactor: Reactor

    // guarded by table.lock: the running thread, for "am I the dispatcher?" checks on the send path
    var thread: NativeThread?
    // dispatcher thread only: sends made by handlers wake the reactor once, after the batch
    @exclusivity(unchecked) var deferredReactorWake = false
    /// The batch's optimistic writes (dispatcher thread only, like this type).
    let writer: OptimisticWriter

    init(engine: Engine, table: PeerTable, handlers: MessageHandlers, configuration: EngineConfiguration,
         clock: EngineClock, reactor: Reactor) {
        self.engine = engine
        self.table = table
        self.handlers = handlers
        self.configuration = configuration
        self.clock = clock
        self.reactor = reactor
        self.writer = OptimisticWriter(table: table, clock: clock)
    }

    /// The most messages a batch may hold for the dispatcher to poll after it (see `run`).
    static let conversationBatch = 4

    /// True on the dispatcher thread. Caller holds the table's lock.
    var isCurrentLocked: Bool { thread?.isCurrent ?? false }

    /// One message taken from a peer's inbox for this batch (`frame` is nil once delivered or
    /// withdrawn).
    private struct Delivery {
        let state: PeerState
        var frame: Frame?
    }

    /// The dispatcher thread's loop, until the engine closed and every peer left.
    func run() {
        // One strong reference for the thread's life (the engine's thread closure holds another).
        let engine = self.engine
        var batch: [Delivery] = []
        var dueEvents: [DispatcherEvent] = []
        var dueDeadlines: [Deadline] = []
        var wakeReactorNow = false
        var lastCommand = ""
        var lastHandler = handlers.handler(for: lastCommand)
        // Messages per batch: sized from the handlers' recent cost so that a batch fits its time
        // budget (cheap pings: large batches, few writes; expensive requests: small ones).
        var batchLimit = min(64, configuration.dispatchBatchLimit)
        // Whether its last batch looked like a conversation (a connection event, or a few
        // messages): only then does it poll before sleeping. A timer tick is not followed by
        // more work, and after a stream's large batches a yielding poller only takes CPU from the
        // reactor and the sender (32-byte frames through EngineBench: 0.87x with it).
        var mayPoll = false
        let pollNanoseconds = configuration.dispatcherPoll.engineNanoseconds
        table.lock.lock()
        while true {
            if table.phase == .closing || table.phase == .stopped, table.peers.isEmpty, table.events.isEmpty, table.finalizationsInFlight == 0 {
                break
            }
            if table.deadlines.earliest != nil {  // no clock read while nothing is scheduled
                table.deadlines.popDue(clock.now, into: &dueDeadlines)
            }
            while let event = table.events.popFirst() {
                dueEvents.append(event)
            }
            if table.phase == .running || table.phase == .draining {
                takeBatchLocked(into: &batch, limit: batchLimit)
            }
            if batch.isEmpty, dueEvents.isEmpty, dueDeadlines.isEmpty {
                if table.phase == .draining {
                    // Every queued message was handled: close all connections (reason `shutdown`).
                    table.phase = .closing
                    table.reactorCommands.append(.closeAll)
                    wakeReactorNow = true
                }
                if wakeReactorNow {
                    wakeReactorNow = false
                    table.lock.unlock()
                    reactor.wakeUp()
                    table.lock.lock()
                    continue
                }
                if mayPoll, pollNanoseconds > 0 {
                    mayPoll = false
                    pollLocked(for: pollNanoseconds)
                    continue
                }
                sleepLocked()
                continue
            }
            mayPoll = batch.count <= Self.conversationBatch && (!batch.isEmpty || !dueEvents.isEmpty)
            table.counters.dispatcherPasses += 1
            var epoch = table.dispatchEpoch.load(ordering: .relaxed)
            table.lock.unlock()

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
                if table.dispatchEpoch.load(ordering: .relaxed) != epoch {
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
                    handler(EngineContext(peer: state.id, manager: engine, state: state), frame)
                } else {
                    unhandled += 1
                }
            }
            if delivered > 0 {
                let perMessage = max(1, (MonotonicClock.nanoseconds() &- batchStart) / UInt64(delivered))
                let fitting = Int(min(budget / perMessage, UInt64(configuration.dispatchBatchLimit)))
                batchLimit = min(configuration.dispatchBatchLimit, max(16, (batchLimit + fitting) / 2))
            }
            if writer.hasPending, writer.writePending() {
                deferredReactorWake = true
            }
            if deferredReactorWake {
                deferredReactorWake = false
                reactor.wakeUp()
            }

            table.lock.lock()
            resumeReadingLocked(after: batch, wakeReactor: &wakeReactorNow)
            table.counters.messagesDispatched += delivered
            table.counters.messagesUnhandled += unhandled
            table.counters.messagesWithdrawn += batch.count - delivered - deferred
            table.counters.messagesDeferred += deferred
            batch.removeAll(keepingCapacity: true)
            if !dueEvents.isEmpty { dueEvents.removeAll(keepingCapacity: true) }
            if !dueDeadlines.isEmpty { dueDeadlines.removeAll(keepingCapacity: true) }
        }
        table.lock.unlock()
    }

    /// Round-robin passes under this one lock hold: each peer in the ready queue gives at most one
    /// message per pass and goes to the back of the queue if it has more, until
    /// ``EngineConfiguration/dispatchBatchLimit`` messages are taken or no peer has any. The order
    /// is the order separate passes would deliver in. Caller holds `lock`.
    private func takeBatchLocked(into batch: inout [Delivery], limit: Int) {
        var room = limit
        while room > 0, !table.readyPeers.isEmpty {
            for _ in 0..<table.readyPeers.count {
                guard let state = table.readyPeers.popFirst() else { break }
                guard state.isDispatchable, let frame = state.inbox.popFirst() else {
                    state.isQueuedForDispatch = false
                    continue
                }
                state.inboxBytes -= frame.wireSize
                batch.append(Delivery(state: state, frame: frame))
                if state.isDispatchable {
                    table.readyPeers.append(state)
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
            if state.isReadPaused, state.inboxBytes <= resumeBelow, table.phase == .running {
                state.isReadPaused = false
                table.reactorCommands.append(.resumeReading(state.id))
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
        table.lock.withLock {
            returnLocked(from: start, in: &batch) { $0.isSendPaused }
            return table.dispatchEpoch.load(ordering: .relaxed)
        }
    }

    /// The batch ran out of time: every message from `start` on goes back to the front of its
    /// peer's inbox, in order, and the peer back on the ready queue (those of a peer that left
    /// `connected` are dropped). Returns how many went back.
    private func returnToInboxes(from start: Int, in batch: inout [Delivery]) -> Int {
        table.lock.withLock {
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
                table.readyPeers.append(state)
            }
        }
        return count
    }

    /// Polls for new work for up to `nanoseconds` before the caller sleeps: the lock is released,
    /// and the dispatcher watches ``PeerTable/dispatcherPollKicks``, which a thread queuing work bumps
    /// instead of signalling (``PeerTable/dispatcherNeedsSignalLocked()``), yielding its CPU
    /// between looks. Returns with the lock held again; the caller looks at the queues as after
    /// any wakeup. Caller holds `lock`.
    private func pollLocked(for nanoseconds: UInt64) {
        let seen = table.dispatcherPollKicks.load(ordering: .relaxed)
        table.dispatcherPolling = true
        table.counters.dispatcherPolls += 1
        table.lock.unlock()
        let end = MonotonicClock.nanoseconds() &+ nanoseconds
        var kicked = false
        while true {
            if table.dispatcherPollKicks.load(ordering: .acquiring) != seen {
                kicked = true
                break
            }
            if MonotonicClock.nanoseconds() > end { break }
            // Yielding, not a bare busy loop: on 2 cores the reactor and the client often share
            // this CPU, and a bare loop doubled the dispatcher's CPU per round trip
            // (docs/benchmarks.md).
            sched_yield()
        }
        table.lock.lock()
        table.dispatcherPolling = false
        if kicked { table.counters.dispatcherPollHits += 1 }
    }

    /// Sleeps until signalled, or until the earliest deadline on a monotonic clock. Caller holds `lock`.
    private func sleepLocked() {
        table.dispatcherSleeping = true
        table.counters.dispatcherSleeps += 1
        if clock.followsMonotonicTime, let earliest = table.deadlines.earliest {
            table.dispatcherCondition.wait(table.lock, untilMonotonicNanoseconds: clock.monotonicNanoseconds(at: earliest.instant))
        } else {
            table.dispatcherCondition.wait(table.lock)
        }
        table.dispatcherSleeping = false
    }

    private func handle(_ event: DispatcherEvent) {
        switch event {
        case .connected(let id):
            if let state = table.lock.withLock({ table.peers[id] }) {
                handlers.onConnect?(EngineContext(peer: id, manager: engine, state: state), state.direction)
            }
        case .disconnected(let id, let reason):
            handlers.onDisconnect?(id, reason)
        case .framesDropped(let id):
            let report: (FrameError, Int)? = table.lock.withLock {
                guard let state = table.peers[id], state.lifecycle == .connected, let error = state.lastDropError else { return nil }
                defer { state.unreportedDrops = 0 }
                return (error, state.unreportedDrops)
            }
            if let (error, count) = report {
                handlers.onFramesDropped?(EngineContext(peer: id, manager: engine), error, count)
            }
        }
    }

    private func handle(_ deadline: Deadline) {
        switch deadline.kind {
        case .connect(let id):
            let pending = table.lock.withLock { table.peers[id]?.lifecycle == .connecting }
            if pending { engine.disconnect(id, reason: .connectTimeout) }
        case .partialFrame(let id, let since):
            let stuck: Bool = table.lock.withLock {
                guard let state = table.peers[id] else { return false }
                if state.partialFrameSince == since { return true }
                if let current = state.partialFrameSince {
                    // A later partial frame: its deadline is `timeout` after it began.
                    table.scheduleDeadlineLocked(
                        at: current.advanced(by: configuration.partialFrameTimeout), .partialFrame(id, since: current))
                } else {
                    state.partialFrameDeadlineArmed = false
                }
                return false
            }
            if stuck { engine.disconnect(id, reason: .partialFrameTimeout) }
        case .sendCap(let id, let since):
            let stuck = table.lock.withLock { table.peers[id]?.sendCapExceededSince == since }
            if stuck { engine.disconnect(id, reason: .sendBufferFull) }
        case .timer(let id, let tag):
            let connected = table.lock.withLock { table.peers[id]?.lifecycle == .connected }
            if connected { handlers.onTimer?(EngineContext(peer: id, manager: engine), tag) }
        }
    }
}
