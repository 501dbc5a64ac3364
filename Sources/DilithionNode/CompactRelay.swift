import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// BIP152 compact-block relay in high-bandwidth mode (PROTOCOL.md §3.9): new blocks cross a hop in
/// half a round trip instead of the 1.5 of `headers` → `getdata` → `block`.
///
/// - **Asking to be pushed to.** Every established peer gets `sendcmpct(version 1)`; those chosen
///   by ``PushPeerSelection`` (up to 8 of ours, 3 of another implementation; the peer that
///   delivered a new tip first takes the place of the longest-serving one, which gets
///   `sendcmpct(0, 1)`) get it with the high-bandwidth flag set: they push new blocks to us
///   unasked, so the fastest routes to us become push routes.
/// - **Pushing** (``pushNewTip(_:block:to:deliveredBy:)``). A peer that sent `sendcmpct(1, 1)` gets
///   every new active tip that extends the last one as `cmpctblock`, after the block was validated
///   and stored (a block that fails any check is never forwarded); a block we made ourselves goes
///   that way to every peer of ours as well. Peers of this implementation get every transaction
///   prefilled (they keep no mempool, so short ids would cost them a `getblocktxn` round trip; the
///   message is the block's size plus one index byte per transaction); other peers (the C++ node)
///   get the coinbase prefilled and short ids, as BIP152 and the C++ node expect. Peers that did
///   not opt in keep the `headers`/`inv` announcement of the ``SyncCoordinator``.
/// - **Receiving** (``receivedCompactBlock(_:from:)``): the header is validated first (parent known,
///   more work than our tip, within the sender's ``HeadersBudget``, proof of work and the other
///   header checks); then the block is rebuilt
///   from the prefilled transactions, missing ones asked for with `getblocktxn`, and a block that
///   cannot be rebuilt by an honest mistake (short-id collision, merkle mismatch) fetched with
///   `getdata`, as is one whose `getblocktxn` stays unanswered for ``blockTransactionsTimeout``
///   (``tick(now:)``). Rebuilt blocks go to the coordinator like any `block`.
///
/// Bad input policy (``CompactBlockError/disposition``, counters under `misbehaviour`/`ignored`):
/// a compact block no honest sender builds (no transactions, an index outside the block, a
/// duplicate prefilled index, a `blocktxn` with the wrong count, a `getblocktxn` index outside the
/// block) costs 100 points; an invalid header costs what a `headers` message with it costs; a
/// compact block whose parent we lack is answered like an unconnecting `headers` message; an
/// unsolicited `blocktxn`, a `getblocktxn` for a block we do not have on the active chain within
/// ``maxBlockTransactionsDepth`` of the tip, a compact block for a block we have or with no more
/// work than our tip are ignored and counted.
///
/// Threads: called on the dispatcher thread (messages, peer events, the coordinator's tip
/// announcements) and from RPC threads (`generate` announces through the coordinator). State is
/// guarded by ``lock``, a leaf: it is never held while calling the chain, the coordinator, the
/// network or the logger.
final class CompactRelay: NewTipPush, @unchecked Sendable {
    /// `getblocktxn` is served for active-chain blocks at most this far below the tip (Bitcoin Core:
    /// 10): requests are for new blocks; older ones are fetched with `getdata`.
    static let maxBlockTransactionsDepth = 10
    /// The only `sendcmpct` version the C++ node honours.
    static let version: UInt64 = 1
    /// How long a `getblocktxn` may go unanswered before the rebuild is given up and the full
    /// block fetched with `getdata` (a few round trips on the slowest links; Bitcoin Core leaves it
    /// to its 10-minute block download timeout, which holds a new tip back far too long).
    static let blockTransactionsTimeout = Duration.seconds(2)

    let chain: ChainState
    let network: any SyncNetwork
    /// The coordinator that takes rebuilt blocks (unowned: the node owns both).
    unowned let sync: SyncCoordinator
    let wallTime: @Sendable () -> Int64
    let logger: Logger

    let lock = PThreadMutex()
    // guarded by lock
    var peers: [PeerID: CompactRelayPeer] = [:]
    /// Peers we asked to push to us.
    var pushers = PushPeerSelection()
    /// Peers whose compact block waits for our `getblocktxn` to be answered, with when we asked
    /// (empty almost always: the per-peer ticks check it for free).
    var awaitingTransactions: [PeerID: EngineInstant] = [:]
    var counts: [String: Int] = [:]

    init(chain: ChainState, network: any SyncNetwork, sync: SyncCoordinator, wallTime: @escaping @Sendable () -> Int64, logger: Logger) {
        self.chain = chain
        self.network = network
        self.sync = sync
        self.wallTime = wallTime
        self.logger = logger
    }

    /// Whether a peer with this user agent is one of ours (no mempool: prefill every transaction).
    static func prefillsEverything(userAgent: String) -> Bool {
        userAgent.hasPrefix("/dilithion-swift:")
    }

    // MARK: Peer lifecycle

    /// A peer completed the handshake: it gets `sendcmpct`, with the high-bandwidth flag while there
    /// is a free place for it (``PushPeerSelection/add(_:ours:)``).
    func peerEstablished(_ peer: PeerID, userAgent: String) {
        let ours = Self.prefillsEverything(userAgent: userAgent)
        let highBandwidth: Bool = lock.withLock {
            peers[peer] = CompactRelayPeer(prefillsEverything: ours)
            return pushers.add(peer, ours: ours)
        }
        network.send(.sendcmpct(SendCompactMessage(highBandwidth: highBandwidth, version: Self.version)), to: peer)
    }

    /// A peer left: its pending compact block is dropped (the coordinator fetches the block from a
    /// peer that announced it, as for any header without its block), its high-bandwidth place freed
    /// (the next peer to deliver a new tip first takes it).
    func peerLeft(_ peer: PeerID) {
        lock.withLock {
            peers[peer] = nil
            awaitingTransactions[peer] = nil
            pushers.remove(peer)
        }
    }

    /// A peer's `sendcmpct`: version 1 with the flag set asks for pushes, without it stops them.
    /// Other versions are ignored and counted (the peer keeps `headers` announcements).
    func receivedSendCompact(_ request: SendCompactMessage, from peer: PeerID) {
        guard request.version == Self.version else {
            network.countIgnored("sendcmpct-unsupported-version")
            return
        }
        lock.withLock { peers[peer]?.wantsPush = request.highBandwidth != 0 }
    }

    /// `peer` delivered a new active tip first: it becomes (or stays, as the most recent) one of the
    /// peers that push to us (``PushPeerSelection/promote(_:)``).
    func promote(_ peer: PeerID) {
        let change = lock.withLock {
            let change = pushers.promote(peer)
            if change.promoted != nil { counts["push-peer-promoted", default: 0] += 1 }
            if change.demoted != nil { counts["push-peer-demoted", default: 0] += 1 }
            return change
        }
        if let demoted = change.demoted {
            network.send(.sendcmpct(SendCompactMessage(highBandwidth: false, version: Self.version)), to: demoted)
        }
        if let promoted = change.promoted {
            network.send(.sendcmpct(SendCompactMessage(highBandwidth: true, version: Self.version)), to: promoted)
        }
    }

    /// The stored block `hash`, parsed; nil when it cannot be read.
    func storedBlock(_ hash: Hash256) -> Block? {
        guard let payload = try? chain.blockPayload(hash: hash),
            case .block(let message)? = try? Message.decode(command: Command.block, payload: payload)
        else { return nil }
        return try? Block(message: message)
    }

    // MARK: Queries

    /// Counters of the relay's work (pushes, rebuilds, round trips, fallbacks), for tests and metrics.
    var statistics: [String: Int] { lock.withLock { counts } }

    /// How many peers asked us to push new blocks to them.
    var pushPeerCount: Int { lock.withLock { peers.values.filter(\.wantsPush).count } }

    /// The peers we asked to push to us.
    var highBandwidthPeerIDs: [PeerID] { lock.withLock { pushers.members } }

    func count(_ key: String) { lock.withLock { counts[key, default: 0] += 1 } }
}
