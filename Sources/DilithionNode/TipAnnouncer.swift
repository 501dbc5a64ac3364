import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Announces the active tip to peers when it moves, and logs a switch of branch (a reorg).
///
/// A block counts only after the store committed it; when the active tip moves it is announced
/// (`headers` to peers that asked with `sendheaders`/`sendcmpct`, `inv` otherwise), out of initial
/// block download, to peers that do not have it. A tip one block on top of the last announced one
/// is first offered to ``newTipPush`` (the ``CompactRelay``'s compact-block push).
///
/// Threads: the dispatcher (blocks, headers) and RPC threads (`generate`). ``lock`` guards the last
/// announced tip and is never held while calling the chain, the network or the push; the
/// ``SyncPeers`` table is read with it released.
final class TipAnnouncer: @unchecked Sendable {
    /// Most blocks one announcement names (the rest a peer fetches with `getheaders`).
    static let maxAnnouncedBlocks = 8

    let chain: ChainState
    let network: any SyncNetwork
    /// Unix seconds, mock-aware (initial block download).
    let wallTime: @Sendable () -> Int64
    let logger: Logger
    /// Who is announced to, and what each is known to have (its own lock).
    let peers: SyncPeers
    /// Pushes new tips to the peers that asked for that (the ``CompactRelay``); set once before
    /// the engine starts, read-only afterwards.
    weak var newTipPush: (any NewTipPush)?

    private let lock = PThreadMutex()
    // guarded by lock
    /// The active tip last announced to peers.
    private var lastAnnouncedTip: ChainTip

    init(chain: ChainState, network: any SyncNetwork, wallTime: @escaping @Sendable () -> Int64, logger: Logger, peers: SyncPeers) {
        self.chain = chain
        self.network = network
        self.wallTime = wallTime
        self.logger = logger
        self.peers = peers
        lastAnnouncedTip = chain.tip
    }

    /// Logs a switch of branch of the active chain (a reorg: old tip, new tip, depth) at info; the
    /// chain state counts it for `/metrics`.
    func activeChainMoved(_ change: ChainChange) {
        guard change.isReorg else { return }
        logger.info("reorg", metadata: [
            "old_tip": "\(change.oldTip)", "new_tip": "\(change.newTip)", "depth": "\(change.disconnected.count)",
            "fork_height": "\(change.forkHeight)"])
    }

    /// Announces the active tip to every established peer but `source` whenever it moved since the
    /// last announcement, once the node is out of initial block download: the new active-chain
    /// blocks since the fork point with the last announced tip (at most the last
    /// ``maxAnnouncedBlocks``), as `headers` to peers that asked for them, as `inv` otherwise. Only
    /// active-chain blocks are ever announced, and a peer whose known header already is at or above
    /// the tip on the active chain is skipped. A tip one block on top of the last announced one is
    /// first offered to ``newTipPush`` (compact-block push to high-bandwidth peers), and the peers
    /// it was pushed to get no other announcement. `block` is the new tip's block when the caller
    /// has it (saves a store read).
    func announceTipIfMoved(except source: PeerID?, block: BlockMessage? = nil) {
        guard !chain.isInitialBlockDownload(now: wallTime()) else { return }
        let tip = chain.tip
        let previous: ChainTip? = lock.withLock {
            guard tip.hash != lastAnnouncedTip.hash else { return nil }
            defer { lastAnnouncedTip = tip }
            return lastAnnouncedTip
        }
        guard let previous else { return }
        // After a reorg the new branch starts above the fork point with the previous tip.
        let fork = chain.activeForkHeight(of: previous.hash) ?? max(tip.height - Self.maxAnnouncedBlocks, 0)
        let first = max(fork + 1, tip.height - Self.maxAnnouncedBlocks + 1, 1)
        guard first <= tip.height else { return }
        let records = (first...tip.height).compactMap { chain.record(atHeight: $0) }
        guard records.last?.hash == tip.hash else { return }  // the tip moved again meanwhile: that call announces
        let targets: [(PeerID, Bool, Hash256?, Int32)] = peers.read { peers in
            peers.values.filter { $0.id != source }.map { ($0.id, $0.wantsHeaders, $0.knownHash, $0.knownHeight) }
        }
        let needing = targets.filter { _, _, knownHash, knownHeight in
            !(knownHash.map { Int(knownHeight) >= tip.height && chain.isOnActiveChain($0) } ?? false)
        }
        var pushed = Set<PeerID>()
        if let push = newTipPush, let newTip = records.last, newTip.header.previousBlockHash == previous.hash {
            pushed = push.pushNewTip(newTip, block: block, to: needing.map(\.0), deliveredBy: source)
        }
        for (peer, wantsHeaders, _, _) in needing where !pushed.contains(peer) {
            if wantsHeaders {
                network.send(.headers(records.map(\.header)), to: peer)
            } else {
                network.send(.inv(records.map { InventoryItem(.block, hash: $0.hash) }), to: peer)
            }
        }
    }
}
