import DilithionWire

/// Decides which blocks to request from which peer during block download. Pure: no threads, no
/// clock (time comes in as milliseconds on any monotonic clock), no I/O; peers are any `Hashable`
/// key so that this module does not depend on the networking modules.
///
/// - A moving window: only candidates at most ``BlockDownloadConfiguration/windowSize`` above the tip.
/// - At most ``BlockDownloadConfiguration/maxInFlightPerPeer`` outstanding requests per peer, and
///   a block is in flight from one peer at a time, so consecutive calls spread blocks over peers.
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

    /// A scheduler with no peers.
    public init(configuration: BlockDownloadConfiguration = BlockDownloadConfiguration()) {
        self.configuration = configuration
        stallTimeoutMilliseconds = configuration.initialStallTimeoutMilliseconds
    }

    /// Starts tracking a connection (no-op when already tracked).
    public mutating func peerConnected(_ peer: PeerKey) {
        if peers[peer] == nil { peers[peer] = PeerDownloadState() }
    }

    /// Forgets a connection and releases everything it had in flight.
    public mutating func peerDisconnected(_ peer: PeerKey) {
        guard let state = peers.removeValue(forKey: peer) else { return }
        for hash in state.inFlight.keys where owners[hash] == peer { owners[hash] = nil }
    }

    /// Blocks to request from `peer` now, lowest height first: candidates within the window above
    /// `tipHeight`, not in flight elsewhere, never asked of this peer, up to its free slots.
    ///
    /// - Parameter candidates: the missing best-chain blocks, lowest first
    ///   (``ChainState/downloadCandidates(limit:)``).
    public mutating func nextRequests(
        for peer: PeerKey, candidates: [DownloadCandidate], tipHeight: Int, nowMilliseconds: Int64
    ) -> [Hash256] {
        guard var state = peers[peer], !state.isStalling else { return [] }
        var free = configuration.maxInFlightPerPeer - state.inFlight.count
        guard free > 0 else { return [] }
        let windowEnd = tipHeight + configuration.windowSize
        var requests = [Hash256]()
        for candidate in candidates where free > 0 {
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
        peers[peer] = state
        return requests
    }

    /// Records a delivered block. Clears it from whichever peer had it in flight; a block that
    /// `peer` had been asked for is progress and resets the stall timeout.
    ///
    /// - Returns: true when `peer` had been asked for it.
    @discardableResult
    public mutating func blockReceived(_ hash: Hash256, from peer: PeerKey, nowMilliseconds: Int64) -> Bool {
        let owner = owners.removeValue(forKey: hash)
        if let owner { peers[owner]?.inFlight[hash] = nil }
        guard peers[peer] != nil else { return false }
        peers[peer]?.seen.insert(hash)
        guard owner == peer else { return false }
        peers[peer]?.lastDelivery = nowMilliseconds
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
            guard var state = peers[peer] else { continue }
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

    /// Requests outstanding from `peer`.
    public func inFlightCount(for peer: PeerKey) -> Int { peers[peer]?.inFlight.count ?? 0 }

    /// The peer `hash` is currently requested from, if any.
    public func peer(requestedFor hash: Hash256) -> PeerKey? { owners[hash] }

    /// Blocks in flight over all peers.
    public var totalInFlight: Int { owners.count }
}
