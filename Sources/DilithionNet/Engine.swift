import DilithionReactor
import DilithionSystem
import DilithionWire
import Logging

/// The two-thread engine: a ``Reactor`` thread that owns every socket and frames bytes into per-peer
/// inboxes, and a dispatcher thread that hands those messages to the ``MessageHandlers`` round-robin,
/// one message per peer per pass, several passes per batch.
///
/// Thread model and locks (see `docs/architecture.md`). The engine is a façade over three parts:
/// the ``PeerTable`` (peer registry, queues, counters: the shared state, under its one lock), the
/// ``Dispatcher`` (the dispatcher thread's loop and its own state) and the
/// ``EngineReactorDelegate`` (the reactor thread's side).
/// - The table's `lock` guards the peer table and every ``PeerState``, the ready queue, the
///   dispatcher event queue, the reactor command queue, the deadline queue, the phase and the
///   counters. It is never held while calling a handler, a libevent function,
///   ``Reactor/wakeUp()`` or a socket write.
/// - Lock order: `stopLock` → the table's `lock` → (the reactor's `wakeLock` → libevent's base
///   lock). In practice the table's lock is released before the reactor is woken. A
///   ``SocketWriteHandle``'s lock is a leaf: it is held only around one non-blocking `sendmsg` or
///   the descriptor's `close`.
/// - Batches: the dispatcher takes up to ``EngineConfiguration/dispatchBatchLimit`` messages under
///   one hold of the lock, in the order separate round-robin passes would give. Before each message
///   it compares ``PeerTable/dispatchEpoch`` (bumped under the lock when a peer leaves `connected`
///   or goes over the send cap) with the value it took the batch at; if it moved, the batch's
///   remaining messages of such peers are dropped (disconnected) or put back in front of the inbox
///   (send cap).
/// - Writes: the reactor writes a peer's outbox after a `flush` command, and is the only thread
///   that registers for writability or closes a socket. The dispatcher writes a peer's outbox
///   itself (optimistic send, ``OptimisticSend``) only when a handler queued into it while
///   nothing was queued or unwritten for that peer; from then until the write is settled, no
///   `flush` is queued and a queued one does nothing, so the two threads never write one socket
///   at the same time, and bytes leave in the order they were queued. What the socket does not
///   take goes back to the front of the outbox with one `flush`.
/// - Wakeups: the dispatcher sleeps on the table's `dispatcherCondition`; the per-message paths (a
///   read that made a peer ready, an accepted or connected peer, a departure) signal it only if it
///   is asleep, after releasing the lock (``PeerTable/notifyDispatcher(signal:)``). The reactor
///   gets one coalesced ``Reactor/wakeUp()`` per batch of commands (sends from the dispatcher are
///   woken once per batch, and not at all when the dispatcher wrote them itself).
public final class Engine: @unchecked Sendable {
    /// The configuration given at creation.
    public let configuration: EngineConfiguration
    /// The clock behind every deadline.
    public let clock: EngineClock
    let logger: Logger
    let reactor: Reactor
    let magic: NetworkMagic

    /// Serializes `start()` / `stop()` callers.
    let stopLock = PThreadMutex()
    /// The shared state and the engine lock.
    let table = PeerTable()
    /// The dispatcher thread's part (set once in `init`).
    private(set) var dispatcher: Dispatcher!
    /// The reactor thread's part: the reactor's delegate.
    let reactorDelegate: EngineReactorDelegate

    // guarded by stopLock
    var clockObserverToken: Int?

    /// Creates a stopped engine. `handlers` are fixed here, before any thread exists.
    public init(
        configuration: EngineConfiguration, handlers: MessageHandlers, clock: EngineClock = SystemClock(),
        logger: Logger = Logger(label: "dilithion.net")
    ) throws(ReactorError) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.magic = configuration.network.magic
        self.reactor = try Reactor(configuration: configuration.reactorConfiguration)
        self.reactorDelegate = EngineReactorDelegate(
            table: table, configuration: configuration, clock: clock, logger: logger,
            reportsDroppedFrames: handlers.onFramesDropped != nil)
        self.dispatcher = Dispatcher(
            engine: self, table: table, handlers: handlers, configuration: configuration, clock: clock, reactor: reactor)
    }

    // MARK: Lifecycle

    /// Starts the reactor (binding the listeners) and the dispatcher. Returns the bound listening
    /// addresses. Calling it again after a successful start returns the same addresses.
    @discardableResult
    public func start() throws(ReactorError) -> [SocketAddress] {
        stopLock.lock()
        defer { stopLock.unlock() }
        let current = table.lock.withLock { table.phase }
        guard current == .idle else { return reactor.listeningAddresses }
        table.lock.withLock { table.phase = .running }
        let addresses: [SocketAddress]
        do throws(ReactorError) {
            addresses = try reactor.start(delegate: reactorDelegate)
        } catch {
            table.lock.withLock { table.phase = .stopped }
            throw error
        }
        clockObserverToken = clock.addAdvanceObserver { [weak self] in self?.clockDidAdvance() }
        let thread = NativeThread(name: "dln-dispatcher") { [self] in dispatcher.run() }
        table.lock.withLock { dispatcher.thread = thread }
        logger.info("engine started", metadata: ["listen": "\(addresses.map(\.description))"])
        return addresses
    }

    /// Graceful stop: stops accepting and reading, lets the dispatcher drain the queued messages,
    /// closes every socket with reason `shutdown`, then joins both threads. Idempotent; concurrent
    /// callers all return once the engine is stopped. Call ``interrupt()`` first for a fast stop.
    public func stop() {
        stopLock.lock()
        defer { stopLock.unlock() }
        let (thread, wasIdle): (NativeThread?, Bool) = table.lock.withLock {
            if table.phase == .idle {
                table.phase = .stopped
                return (nil, true)
            }
            if table.phase == .running {
                table.phase = .draining
                table.reactorCommands.append(.beginDrain)
                table.signalDispatcherLocked()
            }
            return (dispatcher.thread, false)
        }
        if wasIdle { return }
        reactor.wakeUp()
        thread?.join()
        reactor.requestStop()
        reactor.join()
        table.lock.withLock { table.phase = .stopped }
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
    public var phaseNow: EnginePhase { table.lock.withLock { table.phase } }

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
        let id: PeerID? = table.lock.withLock {
            guard table.phase == .running else { return nil }
            let id = table.addPeerLocked(direction: .outbound, remoteAddress: address, lifecycle: .connecting, now: now)
            table.reactorCommands.append(.connect(id, address))
            table.scheduleDeadlineLocked(at: now.advanced(by: configuration.connectTimeout), .connect(id))
            return id
        }
        if id != nil { reactor.wakeUp() }
        return id
    }

    /// Disconnects `peer` with `reason`. The first reason wins; later requests do nothing. Queued
    /// outbound bytes get one last non-blocking write before the socket closes.
    public func disconnect(_ peer: PeerID, reason: DisconnectReason) {
        let (changed, onDispatcher): (Bool, Bool) = table.lock.withLock {
            let onDispatcher = dispatcher.isCurrentLocked
            guard let state = table.peers[peer], state.lifecycle == .connecting || state.lifecycle == .connected else {
                return (false, onDispatcher)
            }
            state.transition(to: .closing)
            state.disconnectReason = reason
            state.discardInbox()
            if state.optimisticSend == .pending {
                // The dispatcher will not write it now: the reactor flushes it before closing, so
                // a final message (a reject) usually gets out, as on the reactor path.
                state.optimisticSend = .idle
                if !state.outbox.isEmpty { table.reactorCommands.append(.flush(peer)) }
            }
            table.reactorCommands.append(.close(peer))
            table.haltDispatchLocked()
            return (true, onDispatcher)
        }
        if changed { wakeReactor(fromDispatcher: onDispatcher) }
    }

    /// Calls ``MessageHandlers/onTimer`` with `tag` for `peer` once `delay` of clock time has passed
    /// (if the peer is still connected then).
    public func scheduleTimer(for peer: PeerID, after delay: Duration, tag: UInt64) {
        let now = clock.now
        table.lock.withLock { table.scheduleDeadlineLocked(at: now.advanced(by: delay), .timer(peer, tag: tag)) }
    }

    // MARK: Statistics

    /// A snapshot of one peer, or nil if it is not in the table.
    public func statistics(for peer: PeerID) -> PeerStatistics? {
        let now = clock.now
        return table.lock.withLock { table.peers[peer]?.snapshot(now: now) }
    }

    /// The remote address of `peer`, or nil if it is not in the table (no full snapshot built).
    public func remoteAddress(of peer: PeerID) -> SocketAddress? {
        table.lock.withLock { table.peers[peer]?.remoteAddress }
    }

    /// Snapshots of every peer in the table, ordered by id.
    public var allPeerStatistics: [PeerStatistics] {
        let now = clock.now
        return table.lock.withLock { table.peers.values.map { $0.snapshot(now: now) } }.sorted { $0.peer < $1.peer }
    }

    /// Traffic since the engine started: departed peers' final figures plus the connected peers'
    /// current ones, so the totals never go down when a peer leaves.
    public var trafficTotals: TrafficTotals {
        table.lock.withLock { table.trafficTotalsLocked() }
    }

    /// True while `peer`'s outbox holds more than ``EngineConfiguration/sendCapBytes``: a producer
    /// that is not the dispatcher (the block server) must hold back until it drains. False for a
    /// peer that is gone.
    public func isOverSendCap(_ peer: PeerID) -> Bool {
        table.lock.withLock { table.peers[peer]?.isSendPaused ?? false }
    }

    /// Registers `observer`, called on the reactor thread (no engine lock held) each time a peer's
    /// outbox drains back under the send cap. Keep it short: it runs inside the I/O loop.
    public func addSendCapObserver(_ observer: @escaping @Sendable (PeerID) -> Void) {
        table.lock.withLock { table.sendCapObservers.append(observer) }
    }

    /// The ids of the peers in the table.
    public var peerIDs: [PeerID] { table.lock.withLock { table.peers.keys.sorted() } }

    /// Engine-wide counters.
    public var statistics: EngineStatistics {
        let reactorStatistics = reactor.statistics
        return table.lock.withLock {
            EngineStatistics(
                phase: table.phase, peerCount: table.peers.count, disconnects: table.counters.disconnects,
                droppedFrames: table.counters.droppedFrames, frameErrors: table.counters.frameErrors,
                messagesDispatched: table.counters.messagesDispatched,
                messagesUnhandled: table.counters.messagesUnhandled, dispatcherPasses: table.counters.dispatcherPasses,
                dispatcherSleeps: table.counters.dispatcherSleeps, dispatcherPolls: table.counters.dispatcherPolls,
                dispatcherPollHits: table.counters.dispatcherPollHits, dispatcherWrites: table.counters.dispatcherWrites,
                messagesWithdrawn: table.counters.messagesWithdrawn, messagesDeferred: table.counters.messagesDeferred,
                dispatcherIsAsleep: table.dispatcherSleeping, dispatcherIsPolling: table.dispatcherPolling,
                sendsToUnavailablePeers: table.counters.sendsToUnavailablePeers, acceptFailures: table.counters.acceptFailures,
                reactor: reactorStatistics)
        }
    }

    // MARK: Internals shared by the extensions

    /// Wakes the reactor now, or (on the dispatcher thread) once at the end of the current batch.
    func wakeReactor(fromDispatcher: Bool) {
        if fromDispatcher {
            dispatcher.deferredReactorWake = true
        } else {
            reactor.wakeUp()
        }
    }

    private func clockDidAdvance() {
        table.lock.withLock { table.signalDispatcherLocked() }
    }
}
