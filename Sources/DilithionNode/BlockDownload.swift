import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Block download and intake: which blocks to ask of which peer (``BlockDownloadScheduler``), and
/// the pipeline every received block goes through: admission, validation (large blocks on the
/// ``BlockValidationWorker``, off the dispatcher), staging in arrival order into a
/// ``DilithionChain/BlockWriteBatch``, and the commit of several blocks per transaction during
/// initial block download (``BlockCommitPolicy``). A block counts as stored, moves the active tip
/// and is reported (``BlockOutcome/stored(_:from:message:)``) only after its batch committed.
///
/// Threads and ownership:
/// - ``lock`` (a leaf: never held while calling the chain, the network or the logger) guards the
///   scheduler, the rate meter, the arrivals queue and the stopping flag: the dispatcher, RPC
///   readers (``facts``) and the worker (writing a validation result) take it.
/// - ``batchLock`` guards the write batch; it is held across staging and handing the batch to
///   its commit (the store write: on the dispatcher, or for large blocks on the
///   ``BlockCommitQueue``'s thread, which takes neither lock), by the dispatcher, and by ``stop()``
///   on the stopping thread. It is taken before ``lock``, never after.
final class BlockDownload: @unchecked Sendable {
    let chain: ChainState
    let network: any SyncNetwork
    let clock: any EngineClock
    /// Unix seconds, mock-aware (store times, initial block download).
    let wallTime: @Sendable () -> Int64
    let policy: BlockCommitPolicy
    /// Blocks with at least this many blob bytes are validated on the worker; smaller ones on the
    /// dispatcher, where validating costs less than the hand-off.
    let workerMinimumBytes: Int
    let logger: Logger
    /// Nil when every block is validated on the dispatcher.
    let worker: BlockValidationWorker?
    /// Commits of large-block batches, off the dispatcher (`BlockDownload+Intake`).
    let commits = BlockCommitQueue()

    let lock = PThreadMutex()
    // guarded by lock
    var scheduler: BlockDownloadScheduler<PeerID>
    var blockRate = RateMeter()
    var isStopping = false
    /// Admitted blocks in arrival order; only the head is staged, once its validation is in.
    var arrivals = [BlockArrival]()

    let batchLock = PThreadMutex()
    // guarded by batchLock
    var batch = BlockWriteBatch()
    /// Who delivered each block of ``batch``, in its order.
    var batchSenders = [PeerID]()
    /// When the batch's first block was staged (engine clock).
    var batchStartedAt: EngineInstant?

    init(
        chain: ChainState, network: any SyncNetwork, clock: any EngineClock, wallTime: @escaping @Sendable () -> Int64,
        settings: SyncSettings, logger: Logger
    ) {
        self.chain = chain
        self.network = network
        self.clock = clock
        self.wallTime = wallTime
        self.policy = settings.commits
        self.workerMinimumBytes = settings.workerMinimumBytes
        self.logger = logger
        scheduler = BlockDownloadScheduler(configuration: settings.download)
        worker = settings.workerMinimumBytes < Int.max ? BlockValidationWorker() : nil
    }

    /// A coordinator dropped without ``stop()`` (tests) ends its worker thread too.
    deinit {
        worker?.stop()
        commits.stop()
    }

    // MARK: Peers

    /// Starts tracking `peer`'s downloads; a peer that pipelines deeply may grow its pipeline far.
    func peerConnected(_ peer: PeerID, pipelinesDeeply deep: Bool) {
        let downloads = scheduler.configuration
        lock.withLock {
            scheduler.peerConnected(
                peer,
                inFlightCeiling: deep ? downloads.pipelinedMaxInFlightPerPeer : BlockDownloadConfiguration.hardMaxInFlightPerPeer,
                initialInFlight: deep ? downloads.pipelinedInitialInFlightPerPeer : downloads.maxInFlightPerPeer)
        }
    }

    /// `peer` left: its requests go back to the pool, and its blocks still on the validation worker
    /// are dropped (`BlockDownload+Validation`: nothing would wake the dispatcher for them).
    func peerLeft(_ peer: PeerID) {
        let dropped = lock.withLock {
            scheduler.peerDisconnected(peer)
            return dropUnvalidatedArrivalsLocked(from: peer)
        }
        noteDroppedForDeparture(dropped, peer: peer)
    }

    /// Peers whose oldest request waited past the stall timeout (their blocks go back to the pool).
    func stalledPeers(now: EngineInstant) -> [PeerID] {
        lock.withLock { scheduler.stalledPeers(nowMilliseconds: Self.milliseconds(now)) }
    }

    /// `peer`'s requests outstanding and its pipeline limit.
    func inFlight(for peer: PeerID) -> (count: Int, limit: Int) {
        lock.withLock { (scheduler.inFlightCount(for: peer), scheduler.inFlightLimit(for: peer)) }
    }

    /// Blocks taken in (validated and staged) per second, and bytes, recent average.
    var rate: (blocksPerSecond: Double, bytesPerSecond: Double) {
        lock.withLock { blockRate.snapshot(nowNanoseconds: clock.now.nanoseconds) }
    }

    static func milliseconds(_ instant: EngineInstant) -> Int64 { Int64(instant.nanoseconds / 1_000_000) }

    // MARK: Requests

    /// Hands out block requests to every peer in `candidates` (id, last header, claimed height)
    /// with a batch of free slots, in peer order: each is asked for the blocks toward the header it
    /// is known to have, when that has more work than the active tip
    /// (``ChainState/downloadTarget(knownHash:knownHeight:)``). A peer behind us, or on a lighter
    /// branch, is asked for nothing and so never taken for a staller; a peer that claimed a branch
    /// nobody else has is the only one asked for it.
    func requestWork(candidates: [(PeerID, Hash256?, Int32)]) {
        // Nothing to fetch when the active tip is the best header: no header has more work. This
        // runs on every handshake and every block, so with thousands of idle peers it matters.
        let tip = chain.tip
        guard tip.hash != chain.bestHeader.hash else { return }
        // Only peers with a batch of free slots are served (see `requestBatch`).
        let ready: [(PeerID, Hash256?, Int32)] = lock.withLock {
            guard !isStopping else { return [] }
            return candidates.filter { scheduler.freeSlots(for: $0.0) >= scheduler.requestBatch(for: $0.0) }
                .sorted { $0.0 < $1.0 }
        }
        var plans: [Hash256: DownloadPlan] = [:]
        var targets: [(PeerID, Hash256)] = []
        for (peer, knownHash, knownHeight) in ready {
            // A peer that sent no header and claims no more than our tip has nothing for us.
            if knownHash == nil, Int(knownHeight) <= tip.height { continue }
            guard !network.isOverSendCap(peer),
                let target = chain.downloadTarget(knownHash: knownHash, knownHeight: Int(knownHeight))
            else { continue }
            if plans[target] == nil { plans[target] = chain.downloadPlan(toward: target, limit: scheduler.configuration.windowSize) }
            targets.append((peer, target))
        }
        guard !targets.isEmpty else { return }
        let now = Self.milliseconds(clock.now)
        let requests: [(PeerID, [Hash256])] = lock.withLock {
            guard !isStopping else { return [] }
            var out = [(PeerID, [Hash256])]()
            for (peer, target) in targets {
                guard let plan = plans[target], !plan.candidates.isEmpty else { continue }
                let hashes = scheduler.nextRequests(
                    for: peer, candidates: plan.candidates, tipHeight: plan.forkHeight, nowMilliseconds: now)
                if !hashes.isEmpty { out.append((peer, hashes)) }
            }
            return out
        }
        for (peer, hashes) in requests {
            network.send(.getdata(hashes.map { InventoryItem(.block, hash: $0) }), to: peer)
        }
    }
}
