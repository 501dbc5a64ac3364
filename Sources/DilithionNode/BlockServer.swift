import DilithionChain
import DilithionNet
import DilithionReactor
import DilithionWire
import Logging

/// Serves `getdata` block requests on its own thread, so reading blocks from the store never blocks
/// the dispatcher (and so never delays other peers' messages).
///
/// The queue is bounded per peer (``maxQueuedPerPeer``): requests past it are counted and refused
/// (the peer is asking for more than any honest downloader keeps in flight). Unknown blocks get
/// silence, as from the C++ node, and are counted.
final class BlockServer: @unchecked Sendable {
    static let maxQueuedPerPeer = 1_024

    let chain: ChainState
    let logger: Logger
    var manager: ConnectionManager?

    private let lock = PThreadMutex()
    private let condition = ConditionVariable()
    // guarded by lock
    private var jobs = FIFO()
    private var queuedPerPeer: [PeerID: Int] = [:]
    private var forgotten = Set<PeerID>()
    private var running = false
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
            forgotten.remove(peer)
            for hash in hashes {
                if queuedPerPeer[peer, default: 0] >= Self.maxQueuedPerPeer {
                    refused += 1
                    continue
                }
                queuedPerPeer[peer, default: 0] += 1
                jobs.append((peer, hash))
            }
        }
        condition.signal()
    }

    func forget(_ peer: PeerID) {
        lock.withLock {
            forgotten.insert(peer)
            queuedPerPeer[peer] = nil
        }
    }

    var counters: (served: Int, unknown: Int, refused: Int) { lock.withLock { (served, unknown, refused) } }

    private func run() {
        while true {
            lock.lock()
            while running && jobs.isEmpty { condition.wait(lock) }
            guard running, let (peer, hash) = jobs.popFirst() else {
                lock.unlock()
                return
            }
            let skip = forgotten.contains(peer)
            if !skip { queuedPerPeer[peer, default: 1] -= 1 }
            lock.unlock()
            if skip { continue }
            let payload: [UInt8]?
            do {
                payload = try chain.blockPayload(hash: hash)
            } catch {
                logger.error("store read failed: \(error)")
                payload = nil
            }
            if let payload {
                manager?.send(command: Command.block, payload: payload, to: peer)
                lock.withLock { served += 1 }
            } else {
                lock.withLock { unknown += 1 }
            }
        }
    }

    /// A FIFO of jobs with amortised O(1) pops.
    private struct FIFO {
        private var items: [(PeerID, Hash256)] = []
        private var head = 0
        var isEmpty: Bool { head == items.count }
        mutating func append(_ item: (PeerID, Hash256)) { items.append(item) }
        mutating func popFirst() -> (PeerID, Hash256)? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head > 1_024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }
}
