import DilithionReactor
import DilithionSystem
import Synchronization

/// The engine's shared state and its one lock: the registry of ``PeerState``s by id, and the
/// queues that change in the same lock hold as a peer's inbox or outbox (the ready queue, the
/// dispatcher's events, the reactor's commands, the deadlines), the phase and the counters.
///
/// One lock for all of it is the engine's design, not an accident: a message costs one hold of
/// it on the reactor thread (frames into the inbox, the peer onto the ready queue) and one on the
/// dispatcher (a batch taken), so the queues cannot sit behind locks of their own. The three
/// actors around the table each keep the rest of their state to themselves: the ``Engine``
/// (public API, lifecycle), the ``Dispatcher`` (dispatcher thread) and the
/// ``EngineReactorDelegate`` (reactor thread).
///
/// Ownership: every `var` here is guarded by `lock`. `lock` is never held while calling a
/// handler, a libevent function, ``Reactor/wakeUp()`` or a socket write. Lock order: the engine's
/// `stopLock` → `lock` → (the reactor's `wakeLock` → libevent's base lock); a
/// ``SocketWriteHandle``'s lock is a leaf.
final class PeerTable: @unchecked Sendable {
    /// The engine lock.
    let lock = PThreadMutex()
    /// The dispatcher waits here (with `lock`) for messages, events and deadlines.
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
    /// The dispatcher polls ``dispatcherPollKicks`` (outside the lock) instead of sleeping.
    @exclusivity(unchecked) var dispatcherPolling = false
    /// Peers that left the table whose `disconnected` event is not queued yet (the log line is
    /// written in between); the dispatcher does not exit while any is in flight.
    @exclusivity(unchecked) var finalizationsInFlight = 0
    @exclusivity(unchecked) var counters = EngineCounters()
    /// Called (outside the lock, on the reactor thread) when a peer's outbox drains back under
    /// the send cap.
    var sendCapObservers: [@Sendable (PeerID) -> Void] = []

    /// Bumped (under `lock`) whenever a peer stops being deliverable for a reason other than an
    /// empty inbox: it leaves `connected`, or its outbox goes over the send cap. The dispatcher
    /// compares it before each message of its batch (a relaxed load; the check under the lock
    /// follows only when it moved) and withdraws the messages of such peers.
    let dispatchEpoch = Atomic<UInt64>(0)

    /// Bumped (under `lock`) when work is queued for the dispatcher while it polls
    /// (``dispatcherPolling``); the polling dispatcher watches it without the lock and takes
    /// the lock once it moved. Written only while someone polls, so a busy engine never touches it.
    let dispatcherPollKicks = Atomic<UInt64>(0)

    /// Adds a peer under the next id. Caller holds `lock`.
    func addPeerLocked(
        direction: PeerDirection, remoteAddress: SocketAddress, lifecycle: PeerLifecycle, now: EngineInstant
    ) -> PeerID {
        let id = PeerID(rawValue: nextPeerID)
        nextPeerID += 1
        peers[id] = PeerState(id: id, direction: direction, remoteAddress: remoteAddress, lifecycle: lifecycle, now: now)
        return id
    }

    /// A peer stopped being deliverable (see ``dispatchEpoch``). Caller holds `lock`.
    func haltDispatchLocked() {
        dispatchEpoch.wrappingAdd(1, ordering: .relaxed)
    }

    /// Work was just queued for the dispatcher: ends its poll at once if it polls, and returns
    /// whether it sleeps (then the caller signals it, after unlocking: ``notifyDispatcher(signal:)``).
    /// Caller holds `lock`.
    func dispatcherNeedsSignalLocked() -> Bool {
        if dispatcherPolling {
            dispatcherPollKicks.wrappingAdd(1, ordering: .releasing)
        }
        return dispatcherSleeping
    }

    /// Wakes the dispatcher if it sleeps or polls. Caller holds `lock`. The per-message paths
    /// signal after unlocking instead (``notifyDispatcher(signal:)``).
    func signalDispatcherLocked() {
        if dispatcherNeedsSignalLocked() {
            dispatcherCondition.signal()
        }
    }

    /// Tells the dispatcher about work just queued, after the caller released `lock`; `signal` is
    /// what `dispatcherSleeping` was under the lock. Signalling after the unlock spares the woken
    /// dispatcher from blocking at once on the lock its waker still holds (two more futex calls
    /// per hand-off). No wakeup is lost: a dispatcher that is awake checks the queues under the
    /// lock before it sleeps, and one that sleeps was asleep when the work was queued. A polling
    /// dispatcher needs no signal: ``dispatcherNeedsSignalLocked()`` already ended its poll, and
    /// it looks at the queues under the lock before it sleeps.
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

    /// Traffic of departed peers plus the connected peers' current figures. Caller holds `lock`.
    func trafficTotalsLocked() -> TrafficTotals {
        var totals = counters.departedTraffic
        for state in peers.values { totals.add(state) }
        return totals
    }
}
