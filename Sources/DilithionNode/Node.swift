import DilithionChain
import DilithionNet
import DilithionRandomX
import DilithionSystem
import DilithionWire
import Foundation
import Logging

/// A Dilithion seed/relay node: the engine (reactor + dispatcher), the peer protocol (handshake,
/// liveness, addresses, bans, slots), headers-first sync and serving, over a durable chain store.
///
/// Threads: the engine's reactor and dispatcher, a block-serving worker (store reads never block the
/// dispatcher), and the dialer (keeps outbound slots filled). `lock` guards the peer sessions and
/// sync state; lock order is node `lock` → engine lock → chain lock, and no engine or chain code
/// calls back into the node while holding its own lock.
public final class Node: @unchecked Sendable {
    public let configuration: NodeConfiguration
    public let parameters: NetworkParameters
    public let chain: ChainState
    public let bans: BanList
    public let addresses: AddressBook
    public let startTime: Int64
    /// The logger for lifecycle lines, and one per category (`--loglevel peer=debug,sync=info`).
    let logger: Logger
    let peerLogger: Logger
    let syncLogger: Logger
    let storeLogger: Logger
    let wallClock: WallClock
    let clock: any EngineClock
    let localNonce: UInt64
    var manager: ConnectionManager!

    let lock = PThreadMutex()
    // guarded by lock
    var sessions: [PeerID: PeerSession] = [:]
    var scheduler: BlockDownloadScheduler<PeerID>
    var headersSyncPeer: PeerID?
    /// Headers sync stopped at the cap on headers above the stored tip; resumed as blocks arrive.
    var headersSyncPaused = false
    /// Since when blocks are missing with none in flight (see ``PeerTimeouts/unavailableBranch``).
    var downloadBlockedSince: EngineInstant?
    /// When `checkStalls` last ran: it scans every peer, so the per-peer ticks run it at most once
    /// per `stallCheckInterval` node-wide (per peer it made 10,000 idle peers quadratic).
    var lastStallCheck: EngineInstant?
    var handshakeDurations: [Double] = []
    var misbehaviourCounts: [String: Int] = [:]
    var ignoredCounts: [String: Int] = [:]
    var dial = DialState()
    var blockRate = RateMeter()
    var isStopping = false
    /// The tip last announced to peers.
    var lastAnnouncedTip: ChainTip
    /// Bytes of peers that have left, as of their last keepalive tick (for `getnettotals`).

    let serving: BlockServer
    var dialerThread: NativeThread?
    let dialerCondition = ConditionVariable()

    /// Opens the data directory and the store (throws a descriptive error: a corrupt store names
    /// its file and `--reindex`).
    ///
    /// - Parameter categoryLogger: makes the logger of a category ("peer", "sync", "store"); by
    ///   default every category logs through `logger`.
    public init(
        configuration: NodeConfiguration, logger: Logger, clock: (any EngineClock)? = nil,
        categoryLogger: ((String) -> Logger)? = nil
    ) throws {
        self.configuration = configuration
        self.parameters = configuration.network.parameters
        self.logger = logger
        self.peerLogger = categoryLogger?("peer") ?? logger
        self.syncLogger = categoryLogger?("sync") ?? logger
        self.storeLogger = categoryLogger?("store") ?? logger
        // Regtest runs on an OffsetClock so that `setmocktime` can move deadlines; elsewhere monotonic time.
        self.clock = clock ?? (configuration.network == .regtest ? OffsetClock() : SystemClock())
        self.wallClock = WallClock(mockTime: configuration.network == .regtest ? configuration.mockTime : nil)
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        var chainConfiguration = ChainConfiguration(network: configuration.network)
        if configuration.network.parameters.usesLegacyHeaders {
            chainConfiguration.legacyHasher = RandomXHasher()
        }
        if let ahead = configuration.maxHeadersAheadOfTip { chainConfiguration.maxHeadersAheadOfTip = max(ahead, Limits.maxHeaders) }
        self.chain = try ChainState(
            directory: configuration.dataDirectory, configuration: chainConfiguration, reindex: configuration.reindex)
        let now = wallClock.now
        self.startTime = now
        self.bans = try BanList(path: configuration.dataDirectory + "/banlist.json", now: now)
        self.addresses = try AddressBook(path: configuration.dataDirectory + "/peers.json")
        self.localNonce = UInt64.random(in: 1...UInt64.max)
        self.scheduler = BlockDownloadScheduler(configuration: BlockDownloadConfiguration(
            maxInFlightPerPeer: min(configuration.maxBlocksInFlightPerPeer, BlockDownloadConfiguration.hardMaxInFlightPerPeer)))
        self.serving = BlockServer(chain: chain, logger: categoryLogger?("store") ?? logger)
        self.lastAnnouncedTip = chain.tip

        var listen: [SocketAddress] = []
        for text in configuration.listen {
            guard let address = NetAddressKey.parse(text, defaultPort: parameters.defaultPort) else {
                throw NodeControlError.invalidAddress(text)
            }
            listen.append(address)
        }
        let engineConfiguration = EngineConfiguration(network: configuration.network, listenAddresses: listen)
        self.manager = try ConnectionManager(
            configuration: engineConfiguration, handlers: makeHandlers(), clock: self.clock,
            logger: categoryLogger?("net") ?? Logger(label: "dilithion.net"))
        serving.manager = manager
        for target in configuration.connect + configuration.addNodes + configuration.seedNodes {
            guard NetAddressKey.parse(target, defaultPort: parameters.defaultPort) != nil else {
                throw NodeControlError.invalidAddress(target)
            }
        }
        logger.info("store opened", metadata: [
            "datadir": "\(configuration.dataDirectory)", "tip": "\(chain.tip.height)", "headers": "\(chain.bestHeader.height)"])
    }

    /// Binds the listeners, starts the engine, the block server and the dialer.
    public func start() throws {
        let bound = try manager.start()
        logger.info("reactor started", metadata: ["listening": "\(bound.map(\.description).joined(separator: " "))"])
        serving.start()
        lock.withLock { dial.configure(configuration: configuration, parameters: parameters) }
        let thread = NativeThread { [self] in runDialer() }
        dialerThread = thread
        logger.info("dispatcher started", metadata: ["network": "\(configuration.network.rawValue)"])
    }

    /// Orderly shutdown: stop dialing and accepting, let the dispatcher drain, close peers, flush
    /// the address book and the store. Idempotent.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            if isStopping { return false }
            isStopping = true
            return true
        }
        guard first else { return }
        logger.info("shutdown: stopping dialer and engine")
        dialerCondition.broadcast()
        dialerThread?.join()
        manager.stop()
        serving.stop()
        do { try addresses.save() } catch { logger.warning("could not save peers.json: \(error)") }
        do { try chain.store.checkpoint() } catch { logger.warning("store checkpoint failed: \(error)") }
        logger.info("shutdown: complete", metadata: ["tip": "\(chain.tip.height)"])
    }

    /// The addresses the node listens on (resolved ports, for tests using port 0).
    public var listeningAddresses: [SocketAddress] { manager.listeningAddresses }

    /// Unix time, mock-aware.
    public var now: Int64 { wallClock.now }
}
