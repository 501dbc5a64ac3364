import DilithionNet

/// Which peers the ``CompactRelay`` asks to push new blocks to us (BIP152 high-bandwidth mode).
///
/// Up to ``maxOfOurs`` peers in all, at most ``maxOfOthers`` of another implementation. The first
/// peers to connect take the places; then, as Bitcoin Core does, the peer that delivered a new tip
/// first is promoted and the longest-serving one makes room, so the set follows the routes that
/// are fast lately. Two other rules were modelled on a 50-node run's graph and not kept
/// (docs/netsim.md, `scripts/sim/pushmodel.py`): choosing by latency, and crediting the peer whose
/// push or `headers` announcement came first (it promotes the miner's far neighbours, which are
/// the fastest route only for the blocks they mine: p99 2.0–2.6× the bound with 3 push peers,
/// Core's rule 1.5–1.75×; equal to Core's rule once miners push their own blocks to every peer,
/// and no better in two 50-node runs).
///
/// A value guarded by the relay's lock; it sends nothing itself: ``promote(_:)`` returns what to
/// tell whom.
struct PushPeerSelection: Sendable {
    /// Peers of another implementation asked to push (Bitcoin Core: 3, what the C++ node expects).
    static let maxOfOthers = 3
    /// Peers asked to push in all, when the others run this implementation. Three are too few on a
    /// network of our nodes: blocks come from every direction, and the three peers that were first
    /// with the last blocks are often not on the fastest path from the next miner, which then
    /// reaches us by `headers` (1.5 round trips on that hop). A model of the 50-node netsim graph
    /// (docs/netsim.md) put propagation's p99 at 1.4–2.1× the latency-optimal bound with 3 and
    /// 1.0–1.25× with 8. The price is bandwidth: a block can reach us up to this many times, each
    /// prefilled (our nodes keep no mempool); a peer that already announced it is not pushed to.
    static let maxOfOurs = 8

    /// Peers that push to us, longest-serving first.
    private(set) var members: [PeerID] = []
    /// Whether each established peer runs this implementation.
    private var isOurs: [PeerID: Bool] = [:]

    /// A peer completed the handshake; true when it takes a free place (ask it to push).
    mutating func add(_ peer: PeerID, ours: Bool) -> Bool {
        isOurs[peer] = ours
        guard hasPlace(forOurs: ours) else { return false }
        members.append(peer)
        return true
    }

    /// A peer left: its place is free.
    mutating func remove(_ peer: PeerID) {
        isOurs[peer] = nil
        members.removeAll { $0 == peer }
    }

    /// What a promotion changes: the peer to ask to push (nil when it already does) and the one to
    /// ask to stop (nil when a place was free).
    struct Change: Equatable, Sendable {
        var promoted: PeerID?
        var demoted: PeerID?
    }

    /// `peer` delivered a new tip first: it becomes (or stays, as the most recent) one of the peers
    /// that push to us; the longest-serving one makes room when all places are taken: of another
    /// implementation when those are at their limit and the newcomer is one of them, else of all.
    mutating func promote(_ peer: PeerID) -> Change {
        guard let ours = isOurs[peer] else { return Change() }
        if let index = members.firstIndex(of: peer) {
            members.remove(at: index)
            members.append(peer)
            return Change()
        }
        var demoted: PeerID?
        if !hasPlace(forOurs: ours) {
            let othersFull = members.count { isOurs[$0] != true } >= Self.maxOfOthers
            let index = !ours && othersFull ? members.firstIndex { isOurs[$0] != true } ?? 0 : 0
            demoted = members.remove(at: index)
        }
        members.append(peer)
        return Change(promoted: peer, demoted: demoted)
    }

    /// Fewer than ``maxOfOurs`` in all and, for a peer of another implementation, fewer than
    /// ``maxOfOthers`` of those.
    private func hasPlace(forOurs ours: Bool) -> Bool {
        guard members.count < Self.maxOfOurs else { return false }
        return ours || members.count { isOurs[$0] != true } < Self.maxOfOthers
    }
}
