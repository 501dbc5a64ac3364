import DilithionNet
import DilithionWire

/// Which peers the ``CompactRelay`` asks to push new blocks to us (BIP152 high-bandwidth mode), and
/// how that set follows the fastest routes.
///
/// Up to ``maxOfOurs`` peers in all, at most ``maxOfOthers`` of another implementation. The first
/// peers to connect take the places; then, as Bitcoin Core does, a peer that is first with a new
/// tip is promoted and the longest-serving one makes room. "First" is the first to *announce* the
/// block, by any message (``CompactRelay/announced(_:by:)``): a push from a slower route usually
/// lands before a faster non-pushing neighbour's block (it first sends `headers`, and the block
/// follows a round trip later), so crediting only the peer whose block was stored first would
/// never pick that neighbour. Its `headers` leave it when a push would have, so the first
/// announcement names the peer on the fastest route.
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

    /// How many recent blocks' first announcers are remembered until the block becomes our tip.
    static let rememberedAnnouncers = 8

    /// Peers that push to us, longest-serving first.
    private(set) var members: [PeerID] = []
    /// Whether each established peer runs this implementation.
    private var isOurs: [PeerID: Bool] = [:]
    /// The peer whose message first told us of each recent new block (nil: a push we did not ask
    /// for), oldest first.
    private var firstAnnouncers: [(hash: Hash256, peer: PeerID?)] = []

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

    /// `peer`'s message (`headers`, or a pushed `cmpctblock` when `pushed`) made us accept the new
    /// header `hash`: it was first to tell us of the block. Credited (``firstAnnouncer(of:deliveredBy:)``)
    /// only when the block becomes our tip, so a header whose block turns out invalid earns nothing.
    /// A push we did not ask for earns nothing either: a miner pushes its own block to every peer of
    /// ours, so its blocks reach us that way whether it is one of our pushers or not.
    mutating func announced(_ hash: Hash256, by peer: PeerID, pushed: Bool) {
        if firstAnnouncers.count == Self.rememberedAnnouncers { firstAnnouncers.removeFirst() }
        firstAnnouncers.append((hash, !pushed || members.contains(peer) ? peer : nil))
    }

    /// The peer to credit for the new tip `hash` (and forgets it): its first announcer, else the
    /// peer that delivered it (`source`, nil for our own block).
    mutating func firstAnnouncer(of hash: Hash256, deliveredBy source: PeerID?) -> PeerID? {
        guard let index = firstAnnouncers.lastIndex(where: { $0.hash == hash }) else { return source }
        return firstAnnouncers.remove(at: index).peer
    }

    /// What a promotion changes: the peer to ask to push (nil when it already does) and the one to
    /// ask to stop (nil when a place was free).
    struct Change: Equatable, Sendable {
        var promoted: PeerID?
        var demoted: PeerID?
    }

    /// `peer` was first with a new tip: it becomes (or stays, as the most recent) one of the peers
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
