import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// The peer protocol: sessions, the handshake, keepalive pings, inbound slots and eviction; with
/// three parts of its own, the ``AddressExchange`` (address exchange and relay), the ``Dialer``
/// (the thread that keeps outbound slots filled) and the ``PeerPenalties`` (misbehaviour, bans). It registers its
/// message handlers with the engine's table (``register(into:)``) and holds the one gate every
/// post-handshake handler goes through (``established(_:)``).
///
/// Threads: handlers run on the engine's dispatcher thread; the dialer on its own thread; RPC reads
/// snapshots from any thread. The protocol holds no mutable state of its own: each part guards
/// its own (``PeerSessions``, ``Dialer``, ``AddressExchange``, ``PeerPenalties``: each its own
/// lock, declared there), and no lock is held while calling another part, the engine, the chain or
/// ``PeerEvents``, except as each part's lock order says (the dialer's lock → the sessions' and the
/// exchange's locks → the engine lock).
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

    /// The sessions and handshake durations, under their own lock.
    let sessions = PeerSessions()
    /// Address exchange and relay, under its own lock (set once in `init`).
    private(set) var exchange: AddressExchange!
    /// The dialer and its thread, under its own lock (set once in `init`).
    private(set) var dialer: Dialer!
    /// Misbehaviour points, bans and the counters of both, under its own lock (set once in `init`).
    private(set) var penalties: PeerPenalties!

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
        self.exchange = AddressExchange(
            peers: self, configuration: configuration, addresses: addresses, logger: logger, wallClock: wallClock)
        self.dialer = Dialer(
            peers: self, configuration: configuration, bans: bans, addresses: addresses, logger: logger,
            wallClock: wallClock, clock: clock)
        self.penalties = PeerPenalties(
            peers: self, configuration: configuration, bans: bans, logger: logger, wallClock: wallClock)
    }
}
