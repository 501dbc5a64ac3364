import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// The peer protocol: sessions, the handshake, keepalive pings, address exchange and relay,
/// misbehaviour and bans, inbound slots and eviction, and the dialer that keeps outbound slots
/// filled. It registers its message handlers with the engine's table (``register(into:)``) and
/// holds the one gate every post-handshake handler goes through (``established(_:)``).
///
/// Threads: handlers run on the engine's dispatcher thread; the dialer on its own thread; RPC reads
/// snapshots from any thread. `lock` guards the sessions and everything listed under it, and is held
/// only for short copies or updates: no engine, chain or sync call is made while holding it, except
/// the engine sends of ``flushAddressRelayLocked(nowSeconds:)`` (lock order: peer-protocol lock →
/// engine lock). ``PeerEvents`` are called with the lock released.
final class PeerProtocol: @unchecked Sendable {
    let configuration: NodeConfiguration
    let parameters: NetworkParameters
    let bans: BanList
    let addresses: AddressBook
    let logger: Logger
    let wallClock: WallClock
    let clock: any EngineClock
    let localNonce: UInt64
    /// The height announced in our `version` (the active tip's).
    let tipHeight: @Sendable () -> Int
    /// Set once by the node before the engine starts (the engine is built from our handlers, so it
    /// comes after us); nil in unit tests that drive handlers through a fake context.
    var engine: Engine?
    /// Set once by the node before the engine starts; held weakly (the node owns both sides).
    weak var events: (any PeerEvents)?

    let lock = PThreadMutex()
    // guarded by lock
    var sessions: [PeerID: PeerSession] = [:]
    var handshakeDurations: [Double] = []
    var misbehaviourCounts: [String: Int] = [:]
    var ignoredCounts: [String: Int] = [:]
    var dial = DialState()
    /// Address gossip state (keyed with a secret drawn at start).
    var addressRelay = AddressRelay(k0: UInt64.random(in: 0...UInt64.max), k1: UInt64.random(in: 0...UInt64.max))
    /// When the dialer must next send queued `addr` messages (engine seconds).
    var nextAddressFlushSeconds: Double?
    var addressRelayCounts: [String: Int] = [:]
    var isStopping = false

    /// The dialer thread (started by ``startDialer()``, joined by ``stopDialer()``; caller's thread only).
    var dialerThread: NativeThread?
    /// Wakes the dialer (waited on with `lock`).
    let dialerCondition = ConditionVariable()

    init(
        configuration: NodeConfiguration, bans: BanList, addresses: AddressBook, logger: Logger,
        wallClock: WallClock, clock: any EngineClock, tipHeight: @escaping @Sendable () -> Int
    ) {
        self.configuration = configuration
        self.parameters = configuration.parameters
        self.bans = bans
        self.addresses = addresses
        self.logger = logger
        self.wallClock = wallClock
        self.clock = clock
        self.localNonce = UInt64.random(in: 1...UInt64.max)
        self.tipHeight = tipHeight
    }

    /// Starts the dialer thread (after the engine started).
    func startDialer() {
        lock.withLock { dial.configure(configuration: configuration, parameters: parameters) }
        dialerThread = NativeThread { [self] in runDialer() }
    }

    /// Stops and joins the dialer thread (before the engine stops). Idempotent.
    func stopDialer() {
        lock.withLock { isStopping = true }
        dialerCondition.broadcast()
        dialerThread?.join()
        dialerThread = nil
    }

    /// Wakes the dialer to look at its targets again (a target was added, the clock moved).
    func wakeDialer() {
        lock.withLock { dialerCondition.broadcast() }
    }
}
