import DilithionWire

/// Decides which blocks to request from which peer during block download. Pure: no threads, no
/// clock (time comes in as milliseconds on any monotonic clock), no I/O; peers are any `Hashable`
/// key so that this module does not depend on the networking modules.
///
/// - A moving window: only candidates at most ``BlockDownloadConfiguration/windowSize`` above the tip.
/// - A per-peer pipeline: ``BlockDownloadConfiguration/maxInFlightPerPeer`` outstanding requests
///   when the peer connects, growing by one per block it delivers (so doubling each round trip
///   while it keeps up) up to the ceiling it was registered with: 32 for C++ peers, deeper for
///   peers that pipeline (enough to fill a 230 ms link). Estimated bytes in flight per peer are
///   capped too. A block is in flight from one peer at a time, so consecutive calls spread blocks
///   over peers.
/// - Never the same block twice on one connection.
/// - Stall detection: a peer whose oldest outstanding request has seen no delivery from it for
///   longer than the stall timeout is stalling (pipelined requests are timed from the peer's last
///   delivery, so a busy but working peer is not flagged). Its blocks are released for other
///   peers; the caller disconnects it. The timeout starts at 2 s, doubles per stall up to 64 s, and
///   resets when a requested block arrives.
public struct BlockDownloadScheduler<PeerKey: Hashable & Sendable>: Sendable {
    /// The limits in force.
    public let configuration: BlockDownloadConfiguration
    private var peers: [PeerKey: PeerDownloadState] = [:]
    /// Which peer each in-flight block was asked of.
    private var owners: [Hash256: PeerKey] = [:]
    /// The current stall timeout.
    public private(set) var stallTimeoutMilliseconds: Int64
    /// Running average size of delivered blocks (bytes), nil before the first; with
    /// ``BlockDownloadConfiguration/maxBytesInFlightPerPeer`` it bounds each peer's pipeline.
    public private(set) var averageBlockBytes: Double?

    /// A scheduler with no peers.
    public init(configuration: BlockDownloadConfiguration = BlockDownloadConfiguration()) {
        self.configuration = configuration
        stallTimeoutMilliseconds = configuration.initialStallTimeoutMilliseconds
    }

    /// Starts tracking a connection (no-op when already tracked).
    ///
    /// - Parameter inFlightCeiling: how deep this peer's pipeline may grow; nil keeps it at
    ///   ``BlockDownloadConfiguration/maxInFlightPerPeer``. Pass
    ///   ``BlockDownloadConfiguration/hardMaxInFlightPerPeer`` for a C++ peer and
    ///   ``BlockDownloadConfiguration/pipelinedMaxInFlightPerPeer`` for one known to pipeline.
    ///   Never above the window.
    /// - Parameter initialInFlight: where the pipeline starts; nil:
    ///   ``BlockDownloadConfiguration/maxInFlightPerPeer``. Never above the ceiling.
    public mutating func peerConnected(_ peer: PeerKey, inFlightCeiling: Int? = nil, initialInFlight: Int? = nil) {
        guard peers[peer] == nil else { return }
        let ceiling = min(max(inFlightCeiling ?? configuration.maxInFlightPerPeer, 1), max(configuration.windowSize, 1))
        let initial = max(initialInFlight ?? configuration.maxInFlightPerPeer, 1)
        peers[peer] = PeerDownloadState(limit: min(initial, ceiling), ceiling: ceiling)
    }

    /// Forgets a connection and releases everything it had in flight.
    public mutating func peerDisconnected(_ peer: PeerKey) {
        guard let state = peers.removeValue(forKey: peer) else { return }
        for hash in state.inFlight.keys where owners[hash] == peer { owners[hash] = nil }
    }

    /// Blocks to request from `peer` now, lowest height first: candidates within the window above
    /// `tipHeight`, not in flight elsewhere, never asked of this peer, up to its free slots (its
    /// pipeline limit, and the byte cap at the running average block size).
    ///
    /// - Parameters:
    ///   - candidates: the missing blocks toward what the peer has, lowest first
    ///     (``ChainState/downloadPlan(toward:limit:)``).
    ///   - tipHeight: the base of the window: where that path leaves the active chain (the active
    ///     tip when the path extends it).
    public mutating func nextRequests(
        for peer: PeerKey, candidates: [DownloadCandidate], tipHeight: Int, nowMilliseconds: Int64
    ) -> [Hash256] {
        var free = freeSlots(for: peer)
        guard free > 0 else { return [] }
        // Taken out of the table while it is changed: a copy that shared storage with the table's
        // would copy the whole `seen` set on the first insert (copy-on-write), for every call.
        var state = peers.removeValue(forKey: peer)!
        defer { peers[peer] = state }
        let windowEnd = tipHeight + configuration.windowSize
        var requests = [Hash256]()
        for candidate in candidates {
            guard free > 0 else { break }
            guard candidate.height > tipHeight, candidate.height <= windowEnd else { continue }
            guard owners[candidate.hash] == nil, !state.seen.contains(candidate.hash) else { continue }
            owners[candidate.hash] = peer
            state.inFlight[candidate.hash] = nowMilliseconds
            state.seen.insert(candidate.hash)
            requests.append(candidate.hash)
            free -= 1
        }
        // Bound the per-connection memory: hashes outside the window can never be asked again anyway.
        if state.seen.count > 4 * configuration.windowSize {
            let live = Set(candidates.map(\.hash)).union(state.inFlight.keys)
            state.seen.formIntersection(live)
        }
        return requests
    }

    /// Records a delivered block. Clears it from whichever peer had it in flight; a block that
    /// `peer` had been asked for is progress: it resets the stall timeout and deepens the peer's
    /// pipeline by one (up to its ceiling).
    ///
    /// - Parameter bytes: the block's size on the wire, when known; feeds the running average
    ///   that the byte cap uses.
    /// - Returns: true when `peer` had been asked for it.
    @discardableResult
    public mutating func blockReceived(
        _ hash: Hash256, from peer: PeerKey, bytes: Int? = nil, nowMilliseconds: Int64
    ) -> Bool {
        let owner = owners.removeValue(forKey: hash)
        if let owner { peers[owner]?.inFlight[hash] = nil }
        guard var state = peers.removeValue(forKey: peer) else { return false }  // unique: no copy-on-write
        defer { peers[peer] = state }
        state.seen.insert(hash)
        guard owner == peer else { return false }
        if let bytes, bytes > 0 {
            // An average over roughly the last 16 blocks: follows a change of block sizes within a
            // pipeline's worth of deliveries.
            averageBlockBytes = averageBlockBytes.map { $0 + (Double(bytes) - $0) / 16 } ?? Double(bytes)
        }
        state.lastDelivery = nowMilliseconds
        state.limit = min(state.limit + 1, state.ceiling)
        stallTimeoutMilliseconds = configuration.initialStallTimeoutMilliseconds
        return true
    }

    /// Peers that stalled as of `nowMilliseconds`, each reported once: their in-flight blocks are
    /// released for other peers (never re-asked of them), they get no more requests, and the stall
    /// timeout doubles (up to the maximum). The caller disconnects them.
    public mutating func stalledPeers(nowMilliseconds: Int64) -> [PeerKey] {
        var stalled = [PeerKey]()
        for (peer, state) in peers where !state.isStalling {
            guard let oldestRequest = state.inFlight.values.min() else { continue }
            let waitingSince = max(oldestRequest, state.lastDelivery ?? oldestRequest)
            if nowMilliseconds - waitingSince > stallTimeoutMilliseconds { stalled.append(peer) }
        }
        for peer in stalled {
            guard var state = peers.removeValue(forKey: peer) else { continue }
            for hash in state.inFlight.keys where owners[hash] == peer { owners[hash] = nil }
            state.inFlight.removeAll()
            state.isStalling = true
            peers[peer] = state
        }
        if !stalled.isEmpty {
            stallTimeoutMilliseconds = min(2 * stallTimeoutMilliseconds, configuration.maxStallTimeoutMilliseconds)
        }
        return stalled
    }

    /// How many more blocks `peer` may be asked for now: its pipeline limit, and the byte cap at the
    /// running average block size, minus what it has in flight; 0 for a staller or unknown peer.
    public func freeSlots(for peer: PeerKey) -> Int {
        guard let state = peers[peer], !state.isStalling else { return 0 }
        return max(capacity(of: state) - state.inFlight.count, 0)
    }

    /// The free slots worth a request to `peer`: an eighth of its pipeline's capacity (at least 1),
    /// so that a deep pipeline is topped up in batches rather than one `getdata` (and one scan of
    /// the candidates) per delivered block. A pipeline kept at least 7/8 full still covers its link.
    public func requestBatch(for peer: PeerKey) -> Int {
        guard let state = peers[peer] else { return 1 }
        return max(1, capacity(of: state) / 8)
    }

    /// A peer's pipeline limit, or fewer at the byte cap and the running average block size.
    private func capacity(of state: PeerDownloadState) -> Int {
        guard let averageBlockBytes, averageBlockBytes > 0 else { return state.limit }
        return min(state.limit, max(1, Int(Double(configuration.maxBytesInFlightPerPeer) / averageBlockBytes)))
    }

    /// Requests outstanding from `peer`.
    public func inFlightCount(for peer: PeerKey) -> Int { peers[peer]?.inFlight.count ?? 0 }

    /// How many requests `peer` may have outstanding now (its pipeline depth; before the byte cap).
    public func inFlightLimit(for peer: PeerKey) -> Int { peers[peer]?.limit ?? 0 }

    /// The peer `hash` is currently requested from, if any.
    public func peer(requestedFor hash: Hash256) -> PeerKey? { owners[hash] }

    /// Blocks in flight over all peers.
    public var totalInFlight: Int { owners.count }
}
