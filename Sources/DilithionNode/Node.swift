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
/// dispatcher), and the dialer (keeps outbound slots filled). `lock` guards the peer sessions; the
/// ``SyncCoordinator`` guards the sync state with its own lock. Lock order: node `lock` → engine lock
/// → chain lock; the sync coordinator's lock is a leaf (it calls nothing while holding it), and the
/// node calls the coordinator with its own lock released. No engine or chain code calls back into
/// the node while holding its own lock.
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

    let serving: BlockServer
    /// Headers sync, block download, stalls, branch expiry, announcements (set once in `init`).
    private(set) var sync: SyncCoordinator!
    /// BIP152 high-bandwidth compact-block relay (set once in `init`).
    private(set) var compactRelay: CompactRelay!
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
        self.parameters = configuration.parameters
        self.logger = logger
        self.peerLogger = categoryLogger?("peer") ?? logger
        self.syncLogger = categoryLogger?("sync") ?? logger
        self.storeLogger = categoryLogger?("store") ?? logger
        // Regtest runs on an OffsetClock so that `setmocktime` can move deadlines; elsewhere monotonic time.
        self.clock = clock ?? (configuration.network == .regtest ? OffsetClock() : SystemClock())
        self.wallClock = WallClock(mockTime: configuration.network == .regtest ? configuration.mockTime : nil)
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        var chainConfiguration = configuration.baseChainConfiguration
        if configuration.parameters.usesLegacyHeaders {
            chainConfiguration.legacyHasher = RandomXHasher()
        }
        if let ahead = configuration.maxHeadersAheadOfTip { chainConfiguration.maxHeadersAheadOfTip = max(ahead, Limits.maxHeaders) }
        if let lifetime = configuration.unbackedBranchLifetimeSeconds { chainConfiguration.unbackedBranchLifetimeSeconds = lifetime }
        self.chain = try ChainState(
            directory: configuration.dataDirectory, configuration: chainConfiguration, reindex: configuration.reindex)
        let now = wallClock.now
        self.startTime = now
        self.bans = try BanList(path: configuration.dataDirectory + "/banlist.json", now: now)
        if !configuration.routableSubnets.isEmpty && configuration.network != .regtest {
            throw NodeControlError.invalidParameter("routable subnets are only allowed on regtest")
        }
        self.addresses = try AddressBook(
            path: configuration.dataDirectory + "/peers.json", policy: AddressPolicy(routableSubnets: configuration.routableSubnets))
        self.localNonce = UInt64.random(in: 1...UInt64.max)
        self.serving = BlockServer(chain: chain, logger: categoryLogger?("store") ?? logger)
        if let report = chain.reindexReport {
            logger.info("reindex done", metadata: [
                "kept": "\(report.keptBlocks)", "dropped": "\(report.droppedBlocks)",
                "found_by_page_scan": "\(report.foundByPageScan)", "missing": "\(report.missingHeights)",
                "highest": "\(report.highestKeptHeight)", "read_error": "\(report.readError ?? "none")"])
        }

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
        var syncSettings = SyncSettings()
        syncSettings.download = BlockDownloadConfiguration(
            maxInFlightPerPeer: min(configuration.maxBlocksInFlightPerPeer, BlockDownloadConfiguration.hardMaxInFlightPerPeer))
        syncSettings.maintenanceInterval = min(.seconds(1), configuration.timeouts.tick)
        // Prune often enough that a branch expires within about half a lifetime after its end.
        let lifetime = Duration.seconds(chainConfiguration.unbackedBranchLifetimeSeconds)
        syncSettings.pruneInterval = max(syncSettings.maintenanceInterval, min(.seconds(10), lifetime / 2))
        let wallClock = self.wallClock
        self.sync = SyncCoordinator(
            chain: chain, network: NodeSyncLink(node: self), clock: self.clock, wallTime: { wallClock.now },
            settings: syncSettings, logger: syncLogger,
            legacyHashing: Self.makeLegacyHashing(configuration: configuration, clock: self.clock, logger: syncLogger))
        self.compactRelay = CompactRelay(
            chain: chain, network: NodeSyncLink(node: self), sync: sync, wallTime: { wallClock.now }, logger: syncLogger)
        sync.newTipPush = compactRelay
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
        sync.stop()
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
