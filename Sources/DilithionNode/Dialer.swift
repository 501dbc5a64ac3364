import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Keeps the outbound slots filled: manual targets (`--connect`, `--addnode`, RPC `addnode`),
/// seeds, address fetches and address-book candidates (``DialState``), dialed from its own thread,
/// which also ends address fetches past their deadline and sends the address relays whose time
/// has come (``AddressExchange/flushIfDue(nowSeconds:)``). Its wait is a deadline, not a poll.
///
/// Ownership: `lock` guards the dial state and `isStopping`; `condition` is waited on with it.
/// `thread` belongs to the caller of ``start()`` / ``stop()`` (the node's lifecycle). Lock order:
/// this lock → the ``PeerSessions``' lock (the outbound sessions, read once per pass) and the
/// address exchange's lock → the engine lock (`connect`, the disconnect of a fetch past its
/// deadline, the `addr` sends). The pass holds the lock, never the wait between passes. So no
/// caller may hold the sessions' or the exchange's lock while calling in here.
final class Dialer: @unchecked Sendable {
    let configuration: NodeConfiguration
    let parameters: NetworkParameters
    let bans: BanList
    let addresses: AddressBook
    let logger: Logger
    let wallClock: WallClock
    let clock: any EngineClock
    /// The peer protocol that owns this dialer (its sessions, the engine, the address exchange).
    unowned let peers: PeerProtocol

    let lock = PThreadMutex()
    /// Wakes the dialer (waited on with `lock`).
    let condition = ConditionVariable()
    // guarded by lock
    private var state = DialState()
    private var isStopping = false
    // caller's thread only (start and stop)
    private var thread: NativeThread?

    init(
        peers: PeerProtocol, configuration: NodeConfiguration, bans: BanList, addresses: AddressBook, logger: Logger,
        wallClock: WallClock, clock: any EngineClock
    ) {
        self.peers = peers
        self.configuration = configuration
        self.parameters = configuration.parameters
        self.bans = bans
        self.addresses = addresses
        self.logger = logger
        self.wallClock = wallClock
        self.clock = clock
    }

    /// Starts the dialer thread (after the engine started).
    func start() {
        lock.withLock { state.configure(configuration: configuration, parameters: parameters) }
        thread = NativeThread { [self] in run() }
    }

    /// Stops and joins the dialer thread (before the engine stops). Idempotent.
    func stop() {
        lock.withLock { isStopping = true }
        condition.broadcast()
        thread?.join()
        thread = nil
    }

    /// Wakes the dialer to look at its targets again (a target or addresses were added, a peer
    /// left, relays wait, the clock moved).
    func wake() {
        lock.withLock { condition.broadcast() }
    }

    // MARK: What the peer protocol asks and tells

    func isManual(peer: PeerID) -> Bool { lock.withLock { state.isManual(peer: peer) } }

    func isAddressFetch(peer: PeerID) -> Bool { lock.withLock { state.isAddressFetch(peer: peer) } }

    /// The peers connected (or connecting) as address fetches.
    func addressFetchPeers(among ids: [PeerID]) -> Set<PeerID> {
        lock.withLock { Set(ids.filter { state.isAddressFetch(peer: $0) }) }
    }

    /// The manual dial targets.
    var manualKeys: [String] { lock.withLock { state.manualKeys } }

    func markSelf(peer: PeerID) { lock.withLock { state.markSelf(peer: peer) } }

    func markSuccess(peer: PeerID) { lock.withLock { state.markSuccess(peer: peer) } }

    func addressFetchAnswered(peer: PeerID) { lock.withLock { state.addressFetchAnswered(peer: peer) } }

    /// A peer left: its target backs off or is freed. An inbound peer leaving frees no outbound
    /// slot, so `wakeUp` is false for it (waking cost a thread switch per short inbound connection).
    func peerDisconnected(_ peer: PeerID, reason: DisconnectReason, wakeUp: Bool) {
        let now = clock.now.nanoseconds
        lock.withLock {
            state.peerDisconnected(peer, reason: reason, nowNanoseconds: now)
            if wakeUp { condition.broadcast() }
        }
    }

    /// Adds or removes a manual dial target (RPC `addnode`); wakes the dialer when it changed.
    func addNode(_ address: String, command: AddNodeCommand) throws(NodeControlError) {
        guard NetAddressKey.parse(address, defaultPort: parameters.defaultPort) != nil else { throw .invalidAddress(address) }
        let changed: Bool = lock.withLock {
            let changed: Bool
            switch command {
            case .add: changed = state.add(address, port: parameters.defaultPort, manual: true, oneShot: false)
            case .onetry: changed = state.add(address, port: parameters.defaultPort, manual: true, oneShot: true)
            case .remove: changed = state.remove(address, port: parameters.defaultPort)
            }
            if changed { condition.broadcast() }
            return changed
        }
        guard changed else { throw command == .remove ? .notFound(address) : .alreadyAdded(address) }
    }

    // MARK: The thread

    /// Dials due targets, ends address fetches past their deadline, sends queued address relays
    /// whose time has come, then sleeps until the next of these is due or it is woken.
    private func run() {
        lock.lock()
        while !isStopping {
            let now = clock.now.nanoseconds
            let outbound = peers.sessions.ids(outboundOnly: true).filter { !state.isAddressFetch(peer: $0) }.count
            let pending = state.slotHoldersInProgress - outbound
            let free = max(0, configuration.maxOutbound - outbound - max(pending, 0))
            var needAddresses = false
            if !state.connectOnly && free > 0 { needAddresses = fillFromAddressBookLocked(free: free) < free }
            for peer in state.takeExpiredFetches(nowNanoseconds: now) {
                logger.debug("address fetch timed out", metadata: ["peer": "\(peer.rawValue)"])
                peers.engine?.disconnect(peer, reason: .localRequest)
            }
            var (due, next) = state.due(nowNanoseconds: now, freeSlots: free, needAddresses: needAddresses)
            for target in due {
                if bans.isBanned(target.address.host, now: wallClock.now) { continue }
                guard let peer = peers.engine?.connect(to: target.address) else { continue }
                state.dialed(target.key, peer: peer, nowNanoseconds: now)
                addresses.markAttempt(key: target.key, now: wallClock.now)
                logger.debug("dialing", metadata: [
                    "peer": "\(peer.rawValue)", "addr": "\(target.key)", "fetch": "\(target.isAddressFetch)"])
            }
            if let flushAt = peers.exchange.flushIfDue(nowSeconds: Double(now) / 1e9) {
                next = min(next, UInt64(flushAt * 1e9))
            }
            if isStopping { break }
            condition.wait(lock, untilMonotonicNanoseconds: clock.monotonicNanoseconds(at: EngineInstant(nanoseconds: next)))
        }
        lock.unlock()
    }

    /// Adds address-book candidates as automatic targets while outbound slots are free: each from
    /// a network group no other outbound connection uses, never our own address. Returns how
    /// many it added. Caller holds `lock`.
    private func fillFromAddressBookLocked(free: Int) -> Int {
        var existing = Set(state.targets.keys)
        if let local = peers.exchange.advertisedAddress { existing.insert(NetAddressKey.key(local)) }
        var generator = SystemRandomNumberGenerator()
        let picked = addresses.candidates(
            excluding: existing, groupsInUse: state.outboundGroups(), limit: free, now: wallClock.now, using: &generator)
        for entry in picked {
            state.add(entry.key, port: parameters.defaultPort, manual: false, oneShot: true)
        }
        return picked.count
    }
}
