import DilithionReactor
import DilithionSystem
import DilithionWire
import Logging
import Synchronization

/// The two-thread engine: a ``Reactor`` thread that owns every socket and frames bytes into per-peer
/// inboxes, and a dispatcher thread that hands those messages to the ``MessageHandlers`` round-robin,
/// one message per peer per pass, several passes per batch.
///
/// Thread model and locks (see `docs/architecture.md`):
/// - `lock` guards the peer table and every ``PeerState``, the ready queue, the dispatcher event queue,
///   the reactor command queue, the deadline queue, the phase and the counters. It is never held
///   while calling a handler, a libevent function, ``Reactor/wakeUp()`` or a socket write.
/// - Lock order: `stopLock` → `lock` → (the reactor's `wakeLock` → libevent's base lock). In
///   practice `lock` is released before the reactor is woken. A ``SocketWriteHandle``'s lock is a
///   leaf: it is held only around one non-blocking `sendmsg` or the descriptor's `close`.
/// - Batches: the dispatcher takes up to ``EngineConfiguration/dispatchBatchLimit`` messages under
///   one hold of `lock`, in the order separate round-robin passes would give. Before each message
///   it compares ``dispatchEpoch`` (bumped under `lock` when a peer leaves `connected` or goes
///   over the send cap) with the value it took the batch at; if it moved, the batch's remaining
///   messages of such peers are dropped (disconnected) or put back in front of the inbox (send cap).
/// - Writes: the reactor writes a peer's outbox after a `flush` command, and is the only thread
///   that registers for writability or closes a socket. The dispatcher writes a peer's outbox
///   itself (optimistic send, ``OptimisticSend``) only when a handler queued into it while
///   nothing was queued or unwritten for that peer; from then until the write is settled, no
///   `flush` is queued and a queued one does nothing, so the two threads never write one socket
///   at the same time, and bytes leave in the order they were queued. What the socket does not
///   take goes back to the front of the outbox with one `flush`.
/// - Wakeups: the dispatcher sleeps on `dispatcherCondition`; the per-message paths (a read that
///   made a peer ready, an accepted or connected peer, a departure) signal it only if it is asleep,
///   after releasing `lock` (``notifyDispatcher(signal:)``). The reactor gets one coalesced
///   ``Reactor/wakeUp()`` per batch of commands (sends from the dispatcher are woken once per batch,
///   and not at all when the dispatcher wrote them itself).
public final class Engine: @unchecked Sendable {
    /// The configuration given at creation.
    public let configuration: EngineConfiguration
    /// The clock behind every deadline.
    public let clock: EngineClock
    let handlers: MessageHandlers
    let logger: Logger
    let reactor: Reactor
    let magic: NetworkMagic

    /// Serializes `start()` / `stop()` callers.
    let stopLock = PThreadMutex()
    /// The engine lock (see the type documentation).
    let lock = PThreadMutex()
    /// The dispatcher waits here for messages, events and deadlines.
    let dispatcherCondition = ConditionVariable()

    // guarded by lock. The properties touched per message skip Swift's dynamic exclusivity check
    // (`@exclusivity(unchecked)`): the lock already serializes every access, and the check's
    // thread-local bookkeeping was several percent of the per-message cost (docs/benchmarks.md).
    @exclusivity(unchecked) var phase: EnginePhase = .idle
    @exclusivity(unchecked) var peers: [PeerID: PeerState] = [:]
    /// Peers with a message to dispatch, in round-robin order (each at most once, see
    /// ``PeerState/isQueuedForDispatch``). Holds the states themselves so that a pass needs no
    /// table lookup; a peer that left the table is no longer dispatchable and drops out.
    @exclusivity(unchecked) var readyPeers = FIFOQueue<PeerState>()
    @exclusivity(unchecked) var events = FIFOQueue<DispatcherEvent>()
    @exclusivity(unchecked) var reactorCommands: [ReactorCommand] = []
    @exclusivity(unchecked) var deadlines = DeadlineQueue()
    var nextPeerID: UInt64 = 1
    @exclusivity(unchecked) var dispatcherSleeping = false
    /// Peers that left the table whose `disconnected` event is not queued yet (the log line is
    /// written in between); the dispatcher does not exit while any is in flight.
    @exclusivity(unchecked) var finalizationsInFlight = 0
    @exclusivity(unchecked) var counters = EngineCounters()
    var dispatcherThread: NativeThread?

    // guarded by stopLock
    var clockObserverToken: Int?

    // guarded by lock: called (outside the lock, on the reactor thread) when a peer's outbox drains
    // back under the send cap.
    var sendCapObservers: [@Sendable (PeerID) -> Void] = []

    /// Bumped (under `lock`) whenever a peer stops being deliverable for a reason other than an
    /// empty inbox: it leaves `connected`, or its outbox goes over the send cap. The dispatcher
    /// compares it before each message of its batch (a relaxed load; the check under the lock
    /// follows only when it moved) and withdraws the messages of such peers.
    let dispatchEpoch = Atomic<UInt64>(0)

    // dispatcher thread only: sends made by handlers wake the reactor once, after the batch
    @exclusivity(unchecked) var deferredReactorWake = false
    // dispatcher thread only (appended to under `lock` from sends on the dispatcher thread): peers
    // whose outbox the dispatcher writes itself at the end of the batch (``OptimisticSend``)
    @exclusivity(unchecked) var optimisticPeers: [PeerState] = []
    // dispatcher thread only: the writes of `optimisticPeers` (kept to reuse its storage)
    @exclusivity(unchecked) var optimisticWrites: [OptimisticWrite] = []

    // reactor thread only: when the next line about failing accepts may be logged
    var acceptFailureLog: AcceptFailureLog

    /// Creates a stopped engine. `handlers` are fixed here, before any thread exists.
    public init(
        configuration: EngineConfiguration, handlers: MessageHandlers, clock: EngineClock = SystemClock(),
        logger: Logger = Logger(label: "dilithion.net")
    ) throws(ReactorError) {
        self.configuration = configuration
        self.handlers = handlers
        self.clock = clock
        self.logger = logger
        self.magic = configuration.network.magic
        self.acceptFailureLog = AcceptFailureLog(interval: configuration.acceptFailureLogInterval)
        self.reactor = try Reactor(configuration: configuration.reactorConfiguration)
    }

    // MARK: Lifecycle

    /// Starts the reactor (binding the listeners) and the dispatcher. Returns the bound listening
    /// addresses. Calling it again after a successful start returns the same addresses.
    @discardableResult
    public func start() throws(ReactorError) -> [SocketAddress] {
        stopLock.lock()
        defer { stopLock.unlock() }
        let current = lock.withLock { phase }
        guard current == .idle else { return reactor.listeningAddresses }
        lock.withLock { phase = .running }
        let addresses: [SocketAddress]
        do throws(ReactorError) {
            addresses = try reactor.start(delegate: self)
        } catch {
            lock.withLock { phase = .stopped }
            throw error
        }
        clockObserverToken = clock.addAdvanceObserver { [weak self] in self?.clockDidAdvance() }
        let thread = NativeThread(name: "dln-dispatcher") { [self] in runDispatcher() }
        lock.withLock { dispatcherThread = thread }
        logger.info("engine started", metadata: ["listen": "\(addresses.map(\.description))"])
        return addresses
    }

    /// Graceful stop: stops accepting and reading, lets the dispatcher drain the queued messages,
    /// closes every socket with reason `shutdown`, then joins both threads. Idempotent; concurrent
    /// callers all return once the engine is stopped. Call ``interrupt()`` first for a fast stop.
    public func stop() {
        stopLock.lock()
        defer { stopLock.unlock() }
        let (thread, wasIdle): (NativeThread?, Bool) = lock.withLock {
            if phase == .idle {
                phase = .stopped
                return (nil, true)
            }
            if phase == .running {
                phase = .draining
                reactorCommands.append(.beginDrain)
                signalDispatcherLocked()
            }
            return (dispatcherThread, false)
        }
        if wasIdle { return }
        reactor.wakeUp()
        thread?.join()
        reactor.requestStop()
        reactor.join()
        lock.withLock { phase = .stopped }
        if let token = clockObserverToken {
            clock.removeAdvanceObserver(token)
            clockObserverToken = nil
        }
        logger.info("engine stopped")
    }

    /// Fast stop request, async-signal-safe (it only writes one byte to a pipe): the reactor closes
    /// every connection with reason `shutdown` without draining, and the dispatcher exits. Follow
    /// with ``stop()`` (from a normal thread) to join the threads.
    public func interrupt() {
        reactor.interrupt()
    }

    /// The engine's lifecycle phase.
    public var phaseNow: EnginePhase { lock.withLock { phase } }

    /// The bound listening addresses.
    public var listeningAddresses: [SocketAddress] { reactor.listeningAddresses }

    // MARK: Connections

    /// Starts an outbound connection and returns its id at once. The peer is `connecting` until the
    /// socket connects (then ``MessageHandlers/onConnect`` runs) or the connect fails or times out
    /// (then ``MessageHandlers/onDisconnect`` runs with `connect-failed` / `connect-timeout`).
    /// Returns nil when the engine is not running.
    @discardableResult
    public func connect(to address: SocketAddress) -> PeerID? {
        let now = clock.now
        let id: PeerID? = lock.withLock {
            guard phase == .running else { return nil }
            let id = PeerID(rawValue: nextPeerID)
            nextPeerID += 1
            peers[id] = PeerState(id: id, direction: .outbound, remoteAddress: address, lifecycle: .connecting, now: now)
            reactorCommands.append(.connect(id, address))
            scheduleDeadlineLocked(at: now.advanced(by: configuration.connectTimeout), .connect(id))
            return id
        }
        if id != nil { reactor.wakeUp() }
        return id
    }

    /// Disconnects `peer` with `reason`. The first reason wins; later requests do nothing. Queued
    /// outbound bytes get one last non-blocking write before the socket closes.
    public func disconnect(_ peer: PeerID, reason: DisconnectReason) {
        let (changed, onDispatcher): (Bool, Bool) = lock.withLock {
            let onDispatcher = dispatcherThread?.isCurrent ?? false
            guard let state = peers[peer], state.lifecycle == .connecting || state.lifecycle == .connected else {
                return (false, onDispatcher)
            }
            state.transition(to: .closing)
            state.disconnectReason = reason
            state.discardInbox()
            if state.optimisticSend == .pending {
                // The dispatcher will not write it now: the reactor flushes it before closing, so
                // a final message (a reject) usually gets out, as on the reactor path.
                state.optimisticSend = .idle
                if !state.outbox.isEmpty { reactorCommands.append(.flush(peer)) }
            }
            reactorCommands.append(.close(peer))
            haltDispatchLocked()
            return (true, onDispatcher)
        }
        if changed { wakeReactor(fromDispatcher: onDispatcher) }
    }

    /// Calls ``MessageHandlers/onTimer`` with `tag` for `peer` once `delay` of clock time has passed
    /// (if the peer is still connected then).
    public func scheduleTimer(for peer: PeerID, after delay: Duration, tag: UInt64) {
        let now = clock.now
        lock.withLock { scheduleDeadlineLocked(at: now.advanced(by: delay), .timer(peer, tag: tag)) }
    }

    // MARK: Statistics

    /// A snapshot of one peer, or nil if it is not in the table.
    public func statistics(for peer: PeerID) -> PeerStatistics? {
        let now = clock.now
        return lock.withLock { peers[peer]?.snapshot(now: now) }
    }

    /// The remote address of `peer`, or nil if it is not in the table (no full snapshot built).
    public func remoteAddress(of peer: PeerID) -> SocketAddress? {
        lock.withLock { peers[peer]?.remoteAddress }
    }

    /// Snapshots of every peer in the table, ordered by id.
    public var allPeerStatistics: [PeerStatistics] {
        let now = clock.now
        return lock.withLock { peers.values.map { $0.snapshot(now: now) } }.sorted { $0.peer < $1.peer }
    }

    /// Traffic since the engine started: departed peers' final figures plus the connected peers'
    /// current ones, so the totals never go down when a peer leaves.
    public var trafficTotals: TrafficTotals {
        lock.withLock {
            var totals = counters.departedTraffic
            for state in peers.values { totals.add(state) }
            return totals
        }
    }

    /// True while `peer`'s outbox holds more than ``EngineConfiguration/sendCapBytes``: a producer
    /// that is not the dispatcher (the block server) must hold back until it drains. False for a
    /// peer that is gone.
    public func isOverSendCap(_ peer: PeerID) -> Bool {
        lock.withLock { peers[peer]?.isSendPaused ?? false }
    }

    /// Registers `observer`, called on the reactor thread (no engine lock held) each time a peer's
    /// outbox drains back under the send cap. Keep it short: it runs inside the I/O loop.
    public func addSendCapObserver(_ observer: @escaping @Sendable (PeerID) -> Void) {
        lock.withLock { sendCapObservers.append(observer) }
    }

    /// The ids of the peers in the table.
    public var peerIDs: [PeerID] { lock.withLock { peers.keys.sorted() } }

    /// Engine-wide counters.
    public var statistics: EngineStatistics {
        let reactorStatistics = reactor.statistics
        return lock.withLock {
            EngineStatistics(
                phase: phase, peerCount: peers.count, disconnects: counters.disconnects,
                droppedFrames: counters.droppedFrames, frameErrors: counters.frameErrors,
                messagesDispatched: counters.messagesDispatched,
                messagesUnhandled: counters.messagesUnhandled, dispatcherPasses: counters.dispatcherPasses,
                dispatcherSleeps: counters.dispatcherSleeps, dispatcherWrites: counters.dispatcherWrites,
                messagesWithdrawn: counters.messagesWithdrawn, messagesDeferred: counters.messagesDeferred,
                dispatcherIsAsleep: dispatcherSleeping,
                sendsToUnavailablePeers: counters.sendsToUnavailablePeers, acceptFailures: counters.acceptFailures,
                reactor: reactorStatistics)
        }
    }

    // MARK: Internals shared by the extensions

    /// Wakes the reactor now, or (on the dispatcher thread) once at the end of the current batch.
    func wakeReactor(fromDispatcher: Bool) {
        if fromDispatcher {
            deferredReactorWake = true
        } else {
            reactor.wakeUp()
        }
    }

    /// A peer stopped being deliverable (see ``dispatchEpoch``). Caller holds `lock`.
    func haltDispatchLocked() {
        dispatchEpoch.wrappingAdd(1, ordering: .relaxed)
    }

    /// Wakes the dispatcher if it sleeps. Caller holds `lock`. The per-message paths signal after
    /// unlocking instead (``notifyDispatcher(signal:)``).
    func signalDispatcherLocked() {
        if dispatcherSleeping {
            dispatcherCondition.signal()
        }
    }

    /// Tells the dispatcher about work just queued, after the caller released `lock`; `signal` is
    /// what `dispatcherSleeping` was under the lock. Signalling after the unlock spares the woken
    /// dispatcher from blocking at once on the lock its waker still holds (two more futex calls
    /// per hand-off). No wakeup is lost: a dispatcher that is awake checks the queues under the
    /// lock before it sleeps, and one that sleeps was asleep when the work was queued.
    func notifyDispatcher(signal: Bool) {
        if signal {
            dispatcherCondition.signal()
        }
    }

    /// Adds a deadline; wakes the dispatcher if it became the earliest. Caller holds `lock`.
    func scheduleDeadlineLocked(at instant: EngineInstant, _ kind: Deadline.Kind) {
        if deadlines.insert(at: instant, kind) {
            signalDispatcherLocked()
        }
    }

    private func clockDidAdvance() {
        lock.withLock { signalDispatcherLocked() }
    }
}
