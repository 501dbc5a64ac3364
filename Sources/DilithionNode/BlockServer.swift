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
/// one block at a time in turn, so a peer that asked for a thousand blocks does not delay another's
/// one. A peer whose outbox is over the engine's send cap is skipped (parked) until the engine reports
/// that it drained: a peer that requests and never reads holds at most the send cap plus one block in
/// memory, not its whole queue (RELIABILITY.md case 16); it is then disconnected `send-buffer-full`
/// by the engine's deadline. Unknown blocks get silence, as from the C++ node, and are counted.
/// A block is read from the store once, straight into a finished frame under its stored checksum,
/// and the engine writes from that array; the frames served last are kept (``ServedBlockFrames``),
/// so peers syncing the same blocks at about the same time share one read.
final class BlockServer: @unchecked Sendable {
    static let maxQueuedPerPeer = 1_024

    let chain: ChainState
    let logger: Logger
    /// Set once, before ``start()``.
    var manager: Engine? {
        didSet { manager?.addSendCapObserver { [weak self] peer in self?.sendCapCleared(peer) } }
    }

    private let lock = PThreadMutex()
    private let condition = ConditionVariable()
    // guarded by lock
    private var queues: [PeerID: [Hash256]] = [:]
    /// Peers with queued requests that are not parked, in serving order (each at most once).
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

    /// The next block to serve, taking peers in turn; parks peers over the send cap. Caller holds
    /// `lock`; returns nil when no peer can be served now.
    private func nextJobLocked(_ manager: Engine?) -> (PeerID, Hash256)? {
        while !turn.isEmpty {
            let peer = turn.removeFirst()
            guard var queue = queues[peer], !queue.isEmpty else {
                queues[peer] = nil
                continue
            }
            if manager?.isOverSendCap(peer) == true {
                parked.insert(peer)
                continue
            }
            let hash = queue.removeFirst()
            if queue.isEmpty {
                queues[peer] = nil
            } else {
                queues[peer] = queue
                turn.append(peer)
            }
            return (peer, hash)
        }
        return nil
    }

    /// Block `hash` as a finished frame: one served recently, or read from the store (and kept
    /// for the next peer asking). Server thread only.
    private func frame(for hash: Hash256) -> EncodedFrame? {
        if let recent = recentFrames.frame(for: hash) { return recent }
        let frame: EncodedFrame?
        do {
            frame = try chain.servingBlockFrame(hash: hash)
        } catch {
            logger.error("store read failed: \(error)")
            return nil
        }
        if let frame { recentFrames.keep(frame, for: hash) }
        return frame
    }

    private func run() {
        let manager = self.manager
        while true {
            lock.lock()
            var job: (PeerID, Hash256)?
            while running {
                job = nextJobLocked(manager)
                if job != nil { break }
                condition.wait(lock)
            }
            lock.unlock()
            guard let (peer, hash) = job else { return }
            if let frame = frame(for: hash) {
                // Read once from the store behind a header with the stored checksum: serving hashes
                // nothing, and the engine writes from this array (shared by every peer served it).
                manager?.send(frame, to: peer)
                lock.withLock { served += 1 }
            } else {
                lock.withLock { unknown += 1 }
            }
        }
    }
}
