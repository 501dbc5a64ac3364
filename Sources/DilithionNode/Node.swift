import DilithionChain
import DilithionNet
import DilithionRandomX
import DilithionSystem
import DilithionWire
import Foundation
import Logging

/// A Dilithion seed/relay node: a thin owner that builds and wires its parts and runs their
/// lifecycle. The parts:
/// - the engine (``DilithionNet/Engine``: reactor and dispatcher threads, peer table, per-command
///   handler table);
/// - the ``PeerProtocol`` (handshake, keepalive, eviction; its parts ``PeerSessions``,
///   ``AddressExchange``, ``Dialer`` with its thread and ``PeerPenalties``, each under its own lock);
/// - the ``SyncCoordinator`` (headers-first sync and block download; its parts each under their own lock);
/// - the ``BlockServer`` (serves `getdata` from the store on its own thread; its own lock);
/// over the durable ``DilithionChain/ChainState``.
///
/// Each part registers its message handlers with the engine's table at `init`; every
/// post-handshake handler goes through the peer protocol's one gate. Lock order: the peer
/// protocol's locks (dialer → sessions, address exchange) → engine lock → chain lock; the sync coordinator's and block server's locks are leaves; the
/// node's own `lock` guards only ``lifecycle`` and is never held while calling a part.
public final class Node: @unchecked Sendable {
    public let configuration: NodeConfiguration
    public let parameters: NetworkParameters
    public let chain: ChainState
    public let bans: BanList
    public let addresses: AddressBook
    public let startTime: Int64
    /// The logger for lifecycle lines (each part logs under its category: `--loglevel peer=debug,sync=info`).
    let logger: Logger
    let wallClock: WallClock
    let clock: any EngineClock
    /// The engine (set once in `init`, after the parts whose handlers it is built with).
    private(set) var engine: Engine!
    /// Sessions, handshake, liveness, addresses, bans, eviction, dialing.
    let peers: PeerProtocol
    /// Serves `getdata` off the dispatcher thread.
    let serving: BlockServer
    /// Headers sync, block download, stalls, branch expiry, announcements (set once in `init`).
    private(set) var sync: SyncCoordinator!
    /// BIP152 high-bandwidth compact-block relay (set once in `init`).
    private(set) var compactRelay: CompactRelay!
    /// Builds the RPC and metrics answers from the parts' snapshots (set once in `init`, after the engine).
    private(set) var reports: NodeReports!

    private let lock = PThreadMutex()
    // guarded by lock
    private var state = NodeLifecycle.created

    /// Where the node is in its life.
    public var lifecycle: NodeLifecycle { lock.withLock { state } }

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
        let chain = self.chain
        self.peers = PeerProtocol(
            configuration: configuration, bans: bans, addresses: addresses, logger: categoryLogger?("peer") ?? logger,
            wallClock: wallClock, clock: self.clock, tipHeight: { chain.tip.height })
        self.serving = BlockServer(chain: chain, logger: categoryLogger?("store") ?? logger)
        if let report = chain.reindexReport {
            logger.info("reindex done", metadata: [
                "kept": "\(report.keptBlocks)", "dropped": "\(report.droppedBlocks)",
                "found_by_page_scan": "\(report.foundByPageScan)", "missing": "\(report.missingHeights)",
                "highest": "\(report.highestKeptHeight)", "unreadable_rows": "\(report.unreadableRows)",
                "read_error": "\(report.readError ?? "none")"])
        }

        var listen: [SocketAddress] = []
        for text in configuration.listen {
            guard let address = NetAddressKey.parse(text, defaultPort: parameters.defaultPort) else {
                throw NodeControlError.invalidAddress(text)
            }
            listen.append(address)
        }
        var syncSettings = SyncSettings()
        syncSettings.download = BlockDownloadConfiguration(
            maxInFlightPerPeer: min(configuration.maxBlocksInFlightPerPeer, BlockDownloadConfiguration.hardMaxInFlightPerPeer))
        syncSettings.maintenanceInterval = min(.seconds(1), configuration.timeouts.tick)
        // Prune often enough that a branch expires within about half a lifetime after its end.
        let lifetime = Duration.seconds(chainConfiguration.unbackedBranchLifetimeSeconds)
        syncSettings.pruneInterval = max(syncSettings.maintenanceInterval, min(.seconds(10), lifetime / 2))
        let wallClock = self.wallClock
        let syncLogger = categoryLogger?("sync") ?? logger
        self.sync = SyncCoordinator(
            chain: chain, network: NodeSyncLink(peers: peers), clock: self.clock, wallTime: { wallClock.now },
            settings: syncSettings, logger: syncLogger,
            legacyHashing: Self.makeLegacyHashing(configuration: configuration, clock: self.clock, logger: syncLogger))
        self.compactRelay = CompactRelay(
            chain: chain, network: NodeSyncLink(peers: peers), sync: sync, wallTime: { wallClock.now }, logger: syncLogger)
        sync.newTipPush = compactRelay

        // The handlers exist before the engine (and so before either of its threads).
        var handlers = MessageHandlers()
        peers.register(into: &handlers)
        sync.register(into: &handlers, through: peers.established)
        compactRelay.register(into: &handlers, through: peers.established)
        serving.register(into: &handlers, peers: peers)
        let engineConfiguration = EngineConfiguration(network: configuration.network, listenAddresses: listen)
        self.engine = try Engine(
            configuration: engineConfiguration, handlers: handlers, clock: self.clock,
            logger: categoryLogger?("net") ?? Logger(label: "dilithion.net"))
        peers.engine = engine
        peers.events = self
        serving.manager = engine
        reports = NodeReports(
            configuration: configuration, parameters: parameters, engine: engine, peers: peers, sync: sync, chain: chain,
            compactRelay: compactRelay, bans: bans, wallClock: wallClock, clock: self.clock, startTime: startTime)
        for target in configuration.connect + configuration.addNodes + configuration.seedNodes {
            guard NetAddressKey.parse(target, defaultPort: parameters.defaultPort) != nil else {
                throw NodeControlError.invalidAddress(target)
            }
        }
        logger.info("store opened", metadata: [
            "datadir": "\(configuration.dataDirectory)", "tip": "\(chain.tip.height)", "headers": "\(chain.bestHeader.height)"])
    }

    /// Binds the listeners, starts the engine, the block server and the dialer: created → starting
    /// → running. Throws ``NodeLifecycleError`` when the node is not `created` (started twice, or
    /// stopped), and the engine's error when it cannot bind (the node then only accepts ``stop()``).
    public func start() throws {
        try move(to: .starting)
        let bound = try engine.start()
        logger.info("reactor started", metadata: ["listening": "\(bound.map(\.description).joined(separator: " "))"])
        serving.start()
        peers.dialer.start()
        try move(to: .running)
        logger.info("dispatcher started", metadata: ["network": "\(configuration.network.rawValue)"])
    }

    /// Orderly shutdown: stop dialing and accepting, let the dispatcher drain, close peers, flush
    /// the address book and the store; → stopping → stopped. Idempotent: a second call (or one
    /// while another is stopping) returns at once.
    public func stop() {
        guard (try? move(to: .stopping)) != nil else { return }
        logger.info("shutdown: stopping dialer and engine")
        sync.stop()
        peers.dialer.stop()
        engine.stop()
        serving.stop()
        do { try addresses.save() } catch { logger.warning("could not save peers.json: \(error)") }
        do { try chain.store.checkpoint() } catch { logger.warning("store checkpoint failed: \(error)") }
        try? move(to: .stopped)
        logger.info("shutdown: complete", metadata: ["tip": "\(chain.tip.height)"])
    }

    /// Moves the lifecycle to `next`, or throws if that move is not allowed from where it is.
    private func move(to next: NodeLifecycle) throws(NodeLifecycleError) {
        lock.lock()
        defer { lock.unlock() }
        guard state.allows(next) else { throw NodeLifecycleError(from: state, to: next) }
        state = next
    }

    /// The addresses the node listens on (resolved ports, for tests using port 0).
    public var listeningAddresses: [SocketAddress] { engine.listeningAddresses }

    /// Unix time, mock-aware.
    public var now: Int64 { wallClock.now }
}
