import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Serves `getdata` block requests on its own thread, so reading blocks from the store never blocks
/// the dispatcher (and so never delays other peers' messages).
///
/// Each peer has its own queue, bounded by ``maxQueuedPerPeer``: requests past it are counted and
/// refused (the peer is asking for more than any honest downloader keeps in flight). Peers are served
/// in turn, a short run of blocks per turn (at most ``maxBlocksPerTurn`` and, past its first block,
/// ``maxBytesPerTurn``: one 1 MiB block, or a hundred small ones), so a peer that asked for a
/// thousand blocks does not delay another's one for long. A turn's blocks are read in one store
/// transaction (``DilithionChain/BlockServingSession``): for small blocks the transaction, not the
/// block, was the cost. The send cap is looked at before every block: a peer whose outbox is over
/// it is skipped (parked) until the engine reports that it drained, so a peer that requests and
/// never reads holds at most the send cap plus one block in memory, not its whole queue
/// (RELIABILITY.md case 16); it is then disconnected `send-buffer-full` by the engine's deadline.
/// Unknown blocks get silence, as from the C++ node, and are counted.
/// A block is read from the store once, straight into a finished frame under its stored checksum,
/// and the engine writes from that array; the frames served last are kept (``ServedBlockFrames``),
/// so peers syncing the same blocks at about the same time share one read.
final class BlockServer: @unchecked Sendable {
    static let maxQueuedPerPeer = 1_024
    /// Most blocks served to one peer per turn (one store transaction).
    static let maxBlocksPerTurn = 128
    /// A turn ends after its first block once this many frame bytes were sent in it.
    static let maxBytesPerTurn = 256 * 1024

    let chain: ChainState
    let logger: Logger
    /// Set once, before ``start()``.
    var manager: Engine? {
        didSet { manager?.addSendCapObserver { [weak self] peer in self?.sendCapCleared(peer) } }
    }

    private let lock = PThreadMutex()
    private let condition = ConditionVariable()
    // guarded by lock
    /// Each peer's requests not yet served; during its turn the run being served stays at the
    /// front (taken off when the turn ends), so `enqueue` and `forget` need no other state.
    private var queues: [PeerID: [Hash256]] = [:]
    /// Peers with queued requests that are not parked, in serving order (each at most once; the
    /// peer being served is in neither this nor ``parked``).
    private var turn: [PeerID] = []
    /// Peers with queued requests whose outbox is over the send cap.
    private var parked = Set<PeerID>()
    private var running = false
    // server thread only
    private var recentFrames = ServedBlockFrames()
    private var thread: NativeThread?
    private(set) var served = 0
    private(set) var unknown = 0
    private(set) var refused = 0

    init(chain: ChainState, logger: Logger) {
        self.chain = chain
        self.logger = logger
    }

    func start() {
        lock.withLock { running = true }
        thread = NativeThread { [self] in run() }
    }

    func stop() {
        lock.withLock { running = false }
        condition.broadcast()
        thread?.join()
        thread = nil
    }

    func enqueue(_ hashes: [Hash256], for peer: PeerID) {
        lock.withLock {
            var queue = queues.removeValue(forKey: peer) ?? []
            let wasIdle = queue.isEmpty
            let room = max(0, Self.maxQueuedPerPeer - queue.count)
            queue.append(contentsOf: hashes.prefix(room))
            refused += hashes.count - min(room, hashes.count)
            guard !queue.isEmpty else { return }
            queues[peer] = queue
            if wasIdle, !parked.contains(peer) { turn.append(peer) }
        }
        condition.signal()
    }

    func forget(_ peer: PeerID) {
        lock.withLock {
            queues[peer] = nil
            parked.remove(peer)
            turn.removeAll { $0 == peer }
        }
    }

    var counters: (served: Int, unknown: Int, refused: Int) { lock.withLock { (served, unknown, refused) } }

    /// Requests waiting, all peers (tests).
    var queuedCount: Int { lock.withLock { queues.values.reduce(0) { $0 + $1.count } } }

    /// The engine's observer: `peer`'s outbox is under the cap again.
    private func sendCapCleared(_ peer: PeerID) {
        let resumed = lock.withLock {
            guard parked.remove(peer) != nil, queues[peer] != nil else { return false }
            turn.append(peer)
            return true
        }
        if resumed { condition.signal() }
    }

    /// The next peer to serve and the run of its requests for this turn, taking peers in turn;
    /// parks peers over the send cap. The run also stays queued until ``finishTurn(of:tally:)``. Caller
    /// holds `lock`; returns nil when no peer can be served now.
    private func nextTurnLocked(_ manager: Engine?) -> (PeerID, [Hash256])? {
        while !turn.isEmpty {
            let peer = turn.removeFirst()
            guard let queue = queues[peer], !queue.isEmpty else {
                queues[peer] = nil
                continue
            }
            if manager?.isOverSendCap(peer) == true {
                parked.insert(peer)
                continue
            }
            return (peer, Array(queue.prefix(Self.maxBlocksPerTurn)))
        }
        return nil
    }

    /// Ends `peer`'s turn: what it consumed leaves its queue (unless the peer left meanwhile), the
    /// counters are added, and a peer with more queued takes its place at the back of the turn
    /// (where the send cap is looked at again).
    private func finishTurn(of peer: PeerID, tally: TurnTally) {
        lock.withLock {
            served += tally.served
            unknown += tally.unknown
            guard var queue = queues.removeValue(forKey: peer) else { return }
            queue.removeFirst(min(tally.consumed, queue.count))
            guard !queue.isEmpty else { return }
            queues[peer] = queue
            turn.append(peer)
        }
    }

    /// What one turn did.
    private struct TurnTally {
        /// Requests taken off the front of the run (served, unknown, or failed to read).
        var consumed = 0
        var served = 0
        var unknown = 0
        var bytes = 0
    }

    /// Serves the front of `run` to `peer`: frames kept from earlier turns first, then one store
    /// transaction for the rest, until the run ends, the turn's byte budget is spent or the peer's
    /// outbox goes over the send cap. Server thread only.
    private func serve(_ run: [Hash256], to peer: PeerID, manager: Engine?) -> TurnTally {
        var tally = TurnTally()
        // True while another block may go out in this turn (the first one always may: the peer was
        // under the cap when its turn began).
        func mayContinue() -> Bool {
            guard tally.consumed > 0 else { return true }
            guard tally.consumed < run.count, tally.bytes < Self.maxBytesPerTurn else { return false }
            return manager?.isOverSendCap(peer) != true
        }
        func deliver(_ frame: EncodedFrame?) {
            tally.consumed += 1
            guard let frame else {
                tally.unknown += 1
                return
            }
            // Read once from the store behind a header with the stored checksum: serving hashes
            // nothing, and the engine writes from this array (shared by every peer served it).
            manager?.send(frame, to: peer)
            tally.served += 1
            tally.bytes += frame.bytes.count
        }
        // Frames kept from earlier turns need no store transaction.
        while mayContinue() {
            guard let kept = recentFrames.frame(for: run[tally.consumed]) else { break }
            deliver(kept)
        }
        guard mayContinue() else { return tally }
        let consumedBeforeStore = tally.consumed
        var readFailed = false
        do {
            try chain.withServingSession { session in
                var lookedFor = true  // the first block here was just looked for among the kept frames
                while mayContinue() {
                    let hash = run[tally.consumed]
                    if !lookedFor, let kept = recentFrames.frame(for: hash) {
                        deliver(kept)
                        continue
                    }
                    lookedFor = false
                    let frame: EncodedFrame?
                    do {
                        frame = try session.frame(for: hash)
                    } catch {
                        readFailed = true
                        throw error
                    }
                    if let frame { recentFrames.keep(frame, for: hash) }
                    deliver(frame)
                }
            }
        } catch {
            logger.error("store read failed: \(error)")
            // The request whose read failed (or the first, when the transaction could not even
            // start) is answered with silence, like an unknown block, so a store that keeps failing
            // cannot hold the server on one request; the rest of the run waits for the next turn.
            // (A failure storing a migrated row's checksum after the reads consumes nothing more.)
            if readFailed || tally.consumed == consumedBeforeStore {
                tally.consumed += 1
                tally.unknown += 1
            }
        }
        return tally
    }

    private func run() {
        let manager = self.manager
        while true {
            lock.lock()
            var job: (PeerID, [Hash256])?
            while running {
                job = nextTurnLocked(manager)
                if job != nil { break }
                condition.wait(lock)
            }
            lock.unlock()
            guard let (peer, run) = job else { return }
            finishTurn(of: peer, tally: serve(run, to: peer, manager: manager))
        }
    }
}
