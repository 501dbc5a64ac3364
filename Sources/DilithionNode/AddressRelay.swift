import DilithionNet
import DilithionWire

/// Address gossip, per peer and network-wide, after Bitcoin Core's rules (`net_processing.cpp`):
///
/// - **Who hears addresses.** Outbound peers from the start; inbound peers once they show interest
///   by sending `getaddr` or `addr` (a probe or a block-only client never gets them).
/// - **Receiving.** Each peer has a token bucket (0.1 address per second, burst 1 000; it starts
///   with one token, and a `getaddr` we send adds 1 000 for the answer); addresses beyond the
///   tokens are dropped and counted.
/// - **Relaying.** An address from a small `addr` (at most ``maxRelayedMessageEntries`` entries,
///   so not the answer to a `getaddr`) that is routable and fresh (seen within
///   ``freshnessSeconds``) goes to ``relayFanout`` peers: those with the highest keyed hash of
///   (address, day, peer id). The choice is the same all day for one address, which ends the
///   flood (the peers already know it) and cannot be steered without the node's secret key.
/// - **Sending.** At most one `addr` per peer per ``sendIntervalSeconds`` (the C++ node penalises a
///   second one within 10 s); addresses wait in a bounded per-peer queue, and a peer is never sent
///   an address it sent us or that we sent it (``knownCapacity`` remembered per peer).
/// - **`getaddr`** is answered once per connection.
///
/// A pure value: time and the key come from the caller. Guarded by the ``AddressExchange``'s lock.
struct AddressRelay: Sendable {
    static let relayFanout = 2
    static let maxRelayedMessageEntries = 10
    static let freshnessSeconds: Int64 = 10 * 60
    static let sendIntervalSeconds = 10.0
    static let knownCapacity = 5_000
    static let maxQueued = AddressBook.maxReply
    static let receiveRate = 0.1
    static let receiveBurst = 1_000.0
    /// Seconds per relay-choice period (a day, with a per-address offset).
    static let rotationSeconds: UInt64 = 24 * 3600

    struct Peer: Sendable {
        let isOutbound: Bool
        var relayEnabled: Bool
        var answeredGetaddr = false
        var awaitingGetaddrReply = false
        var bucket: TokenBucket
        var known = RecentSet<String>(capacity: AddressRelay.knownCapacity)
        var queued: [TimestampedAddress] = []
        var lastSentSeconds: Double?
    }

    /// What one received `addr` gave.
    struct Receipt: Sendable, Equatable {
        /// Entries within the token bucket, to be stored.
        var accepted: [TimestampedAddress] = []
        /// Entries dropped by the token bucket.
        var rateLimited = 0
        /// True when the message answered a `getaddr` we sent.
        var answeredOurGetaddr = false
        /// Accepted entries that qualify for relaying.
        var relayable: [TimestampedAddress] = []
    }

    private let k0: UInt64
    private let k1: UInt64
    private(set) var peers: [PeerID: Peer] = [:]

    /// A relay keyed with a secret (the node draws it at random at start).
    init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    mutating func peerEstablished(_ peer: PeerID, outbound: Bool, nowSeconds: Double) {
        peers[peer] = Peer(
            isOutbound: outbound, relayEnabled: outbound,
            bucket: TokenBucket(rate: Self.receiveRate, capacity: Self.receiveBurst, nowSeconds: nowSeconds, initialTokens: 1))
    }

    mutating func peerLeft(_ peer: PeerID) {
        peers[peer] = nil
    }

    /// A `getaddr` arrived: true when it is the first on this connection (answer it).
    mutating func receivedGetaddr(from peer: PeerID) -> Bool {
        guard var state = peers[peer] else { return false }
        state.relayEnabled = true
        let first = !state.answeredGetaddr
        state.answeredGetaddr = true
        peers[peer] = state
        return first
    }

    /// We send `getaddr` to `peer`: its answer must fit the token bucket.
    mutating func sentGetaddr(to peer: PeerID) {
        peers[peer]?.awaitingGetaddrReply = true
        peers[peer]?.bucket.grant(Double(AddressBook.maxReply))
    }

    /// Accounts an `addr` from `peer`: the token bucket, what the peer knows, and which entries
    /// may be relayed. `nowUnix` is wall-clock time (address times), `nowSeconds` engine time.
    mutating func received(
        _ entries: [TimestampedAddress], from peer: PeerID, nowUnix: Int64, nowSeconds: Double,
        isRoutable: (NetAddress) -> Bool
    ) -> Receipt {
        guard var state = peers[peer] else { return Receipt() }
        var receipt = Receipt()
        state.relayEnabled = true
        let granted = state.bucket.take(entries.count, nowSeconds: nowSeconds)
        receipt.accepted = Array(entries.prefix(granted))
        receipt.rateLimited = entries.count - granted
        for entry in entries { state.known.insert(NetAddressKey.key(entry.address)) }
        receipt.answeredOurGetaddr = state.awaitingGetaddrReply
        // A full-size message may be followed by more of the answer (Bitcoin Core's rule).
        if entries.count < AddressBook.maxReply { state.awaitingGetaddrReply = false }
        peers[peer] = state
        if !receipt.answeredOurGetaddr && entries.count <= Self.maxRelayedMessageEntries {
            receipt.relayable = receipt.accepted.filter { entry in
                Int64(entry.time) > nowUnix - Self.freshnessSeconds && isRoutable(entry.address)
            }
        }
        return receipt
    }

    /// The peers `address` is relayed to: among peers that hear addresses, except `origin`, the
    /// ``relayFanout`` with the highest keyed hash of (address, period, peer id).
    func relayTargets(for address: NetAddress, excluding origin: PeerID?, nowUnix: Int64) -> [PeerID] {
        var addressHasher = SipHasher(k0: k0, k1: k1)
        addressHasher.write(bytes: address.ip)
        addressHasher.write(bytes: [UInt8(truncatingIfNeeded: address.port), UInt8(truncatingIfNeeded: address.port >> 8)])
        let addressHash = addressHasher.finalize()
        // The per-address offset makes addresses change targets at different moments of the day.
        let period = (UInt64(max(nowUnix, 0)) &+ addressHash) / Self.rotationSeconds
        var base = SipHasher(k0: k0, k1: k1)
        base.write(addressHash)
        base.write(period)
        let ranked = peers.compactMap { id, state -> (UInt64, PeerID)? in
            guard state.relayEnabled, id != origin else { return nil }
            var hasher = base
            hasher.write(id.rawValue)
            return (hasher.finalize(), id)
        }
        return ranked.sorted { $0.0 > $1.0 }.prefix(Self.relayFanout).map(\.1)
    }

    /// Queues `addresses` for `peer`, leaving out those it already knows (or has queued).
    mutating func enqueue(_ addresses: [TimestampedAddress], for peer: PeerID) {
        guard var state = peers[peer], state.relayEnabled else { return }
        for entry in addresses where state.queued.count < Self.maxQueued {
            let key = NetAddressKey.key(entry.address)
            guard !state.known.contains(key) else { continue }
            state.known.insert(key)
            state.queued.append(entry)
        }
        peers[peer] = state
    }

    /// The `addr` messages that may leave now (one per peer whose send interval has passed), and
    /// when the next queued one may (nil: nothing queued).
    mutating func takeDue(nowSeconds: Double) -> (sends: [(PeerID, [TimestampedAddress])], nextDueSeconds: Double?) {
        var sends: [(PeerID, [TimestampedAddress])] = []
        var next: Double?
        for (id, state) in peers where !state.queued.isEmpty {
            let allowedAt = state.lastSentSeconds.map { $0 + Self.sendIntervalSeconds } ?? nowSeconds
            if allowedAt <= nowSeconds {
                sends.append((id, state.queued))
                peers[id]?.queued = []
                peers[id]?.lastSentSeconds = nowSeconds
            } else {
                next = min(next ?? allowedAt, allowedAt)
            }
        }
        return (sends.sorted { $0.0.rawValue < $1.0.rawValue }, next)
    }
}
