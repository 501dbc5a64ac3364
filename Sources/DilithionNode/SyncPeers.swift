import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire

/// The established peers as sync sees them (``SyncPeer``: claimed height, branch, announcements,
/// deliveries), shared by the ``SyncCoordinator`` and its components (``HeadersSync``,
/// ``LegacyHeaderIntake``, ``TipAnnouncer``, ``SideBranchPruner``).
///
/// Threads: the dispatcher adds, removes and updates peers; RPC threads and the header hashing
/// workers read. ``lock`` is a leaf: never held while calling anything else, so any component may
/// take it while holding its own lock.
final class SyncPeers: @unchecked Sendable {
    private let lock = PThreadMutex()
    // guarded by lock
    private var peers: [PeerID: SyncPeer] = [:]

    /// Runs `body` on the table under the lock (`body` calls nothing outside it).
    func read<Result>(_ body: ([PeerID: SyncPeer]) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(peers) }
    }

    /// Changes the table under the lock (`body` calls nothing outside it).
    func update<Result>(_ body: (inout [PeerID: SyncPeer]) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&peers) }
    }

    /// Whether a peer with this user agent serves more than the C++ node's 32 blocks in flight:
    /// this implementation does (its block server streams requests in order under the send cap),
    /// so its pipeline may grow to fill a long link. Every other peer is held to 32 (PROTOCOL.md §6).
    /// A peer that claims this and then sits on requests is a staller like any other.
    static func pipelinesDeeply(userAgent: String) -> Bool { userAgent.hasPrefix("/dilithion-swift:") }

    /// Whether `peer` is established (and has not left).
    func contains(_ peer: PeerID) -> Bool { lock.withLock { peers[peer] != nil } }

    /// What ``BlockDownload/requestWork(candidates:)`` chooses from: each peer with its branch and
    /// claimed height.
    var downloadCandidates: [(PeerID, Hash256?, Int32)] {
        lock.withLock { peers.values.map { ($0.id, $0.knownHash, $0.knownHeight) } }
    }

    /// Remembers that `peer` has `record` when it has more work than what the peer was known for.
    func noteAnnounced(_ record: HeaderRecord, by peer: PeerID, in chain: ChainState) {
        let current = lock.withLock { peers[peer]?.knownHash }
        if let current, let known = chain.record(for: current), !(known.chainWork < record.chainWork) { return }
        lock.withLock {
            guard peers[peer] != nil else { return }
            peers[peer]?.knownHash = record.hash
            if let height = peers[peer]?.knownHeight { peers[peer]?.knownHeight = max(height, Int32(clamping: record.height)) }
        }
    }
}
