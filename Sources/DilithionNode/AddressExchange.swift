import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Addresses on the wire: `getaddr` answers, `addr` receipt and relay (``AddressRelay``), our own
/// address advertised to outbound peers, and the end of an address fetch. Its handlers for
/// `getaddr` and `addr` sit behind the peer protocol's gate.
///
/// Threads: handlers on the dispatcher; ``flushIfDue(nowSeconds:)`` on the dialer thread (which
/// sends the relays that were not due yet); ``counts()`` from RPC. Ownership: `lock` guards the
/// relay state, the next flush time and the counters. Lock order: the dialer's lock → this lock →
/// the engine lock (the `addr` sends of a flush). Nothing else is called with it held: the dialer
/// is woken, the peer protocol asked and the address book written after it is released.
final class AddressExchange: @unchecked Sendable {
    let configuration: NodeConfiguration
    let addresses: AddressBook
    let logger: Logger
    let wallClock: WallClock
    /// The peer protocol that owns this exchange (sessions, the dialer, the engine, ignored counts).
    unowned let peers: PeerProtocol

    let lock = PThreadMutex()
    // guarded by lock
    /// Address gossip state (keyed with a secret drawn at start).
    private var relay = AddressRelay(k0: UInt64.random(in: 0...UInt64.max), k1: UInt64.random(in: 0...UInt64.max))
    /// When the dialer must next send queued `addr` messages (engine seconds).
    private var nextFlushSeconds: Double?
    /// Entries relayed, addresses learnt, `addr` messages sent.
    private var relayCounts: [String: Int] = [:]

    init(peers: PeerProtocol, configuration: NodeConfiguration, addresses: AddressBook, logger: Logger, wallClock: WallClock) {
        self.peers = peers
        self.configuration = configuration
        self.addresses = addresses
        self.logger = logger
        self.wallClock = wallClock
    }

    /// Registers `getaddr` and `addr` behind `gate` (the peer protocol's ``PeerProtocol/established(_:)``).
    func register(into handlers: inout MessageHandlers, through gate: MessageGate) {
        handlers.register(Command.getaddr, gate { [unowned self] context, _ in receivedGetaddr(context) })
        handlers.register(Command.addr, gate { [unowned self] context, message in
            if case .addr(let entries) = message { receivedAddresses(entries, context) }
        })
    }

    /// The address peers can reach us at, when we know one the policy calls routable:
    /// `--externalip` with the port we listen on.
    var advertisedAddress: NetAddress? {
        guard let host = configuration.externalIP, let port = peers.engine?.listeningAddresses.first?.port,
              let address = NetAddress(host: host, port: port), addresses.policy.isRoutable(address) else { return nil }
        return address
    }

    /// After a handshake: an outbound peer is asked for addresses (and told ours); an inbound
    /// peer's advertised listening address is learnt.
    func peerEstablished(_ context: any HandlerContext, direction: PeerDirection, version: VersionMessage, address: SocketAddress) {
        let now = wallClock.now
        let nowSeconds = Double(context.now.nanoseconds) / 1e9
        let isFetch = peers.dialer.isAddressFetch(peer: context.peer)
        lock.withLock { relay.peerEstablished(context.peer, outbound: direction == .outbound, nowSeconds: nowSeconds) }
        if direction == .outbound {
            peers.send(.getaddr, context)
            let local = advertisedAddress
            let flushLater = lock.withLock {
                relay.sentGetaddr(to: context.peer)
                if let local, !isFetch {
                    relay.enqueue([TimestampedAddress(time: UInt32(clamping: now), address: local)], for: context.peer)
                }
                return flushLocked(nowSeconds: nowSeconds)
            }
            if flushLater { peers.dialer.wake() }
            if !isFetch { addresses.markGood(host: address.host, port: address.port, now: now) }
        } else if addresses.policy.isRoutable(version.sender), version.sender != advertisedAddress {
            // An inbound peer's advertised listening address (C++ peers send 0.0.0.0:0 unless they
            // know their external IP, which is not routable and so not kept).
            if addresses.add(version.sender, seen: now, now: now) { peers.dialer.wake() }
        }
    }

    /// A peer left: its relay state goes.
    func peerLeft(_ peer: PeerID) {
        lock.withLock { relay.peerLeft(peer) }
    }

    /// `getaddr`: answered once per connection with a random sample of good addresses and their
    /// real last-seen times; repeats are counted and ignored.
    func receivedGetaddr(_ context: any HandlerContext) {
        let first = lock.withLock { relay.receivedGetaddr(from: context.peer) }
        guard first else {
            peers.countIgnored("getaddr-repeat")
            return
        }
        let now = wallClock.now
        // Connected outbound peers are alive now: their entries go out with a fresh time.
        let established = peers.sessions.establishedOutbound()
        let fetches = peers.dialer.addressFetchPeers(among: established.map(\.id))
        for peer in established where !fetches.contains(peer.id) {
            addresses.markGood(host: peer.address.host, port: peer.address.port, now: now)
        }
        var generator = SystemRandomNumberGenerator()
        let reply = addresses.reply(now: now, using: &generator)
        guard !reply.isEmpty else { return }
        let flushLater = lock.withLock {
            relay.enqueue(reply, for: context.peer)
            return flushLocked(nowSeconds: Double(context.now.nanoseconds) / 1e9)
        }
        if flushLater { peers.dialer.wake() }
    }

    /// `addr`: entries within the peer's token bucket are stored (routable ones only), fresh ones
    /// from small messages relayed to two peers; an address fetch ends with its answer.
    func receivedAddresses(_ entries: [TimestampedAddress], _ context: any HandlerContext) {
        let now = wallClock.now
        let nowSeconds = Double(context.now.nanoseconds) / 1e9
        let local = advertisedAddress
        let policy = addresses.policy
        let isFetch = peers.dialer.isAddressFetch(peer: context.peer)
        let receipt = lock.withLock {
            relay.received(entries, from: context.peer, nowUnix: now, nowSeconds: nowSeconds, isRoutable: policy.isRoutable)
        }
        if receipt.rateLimited > 0 { peers.countIgnored("addr-rate-limited", count: receipt.rateLimited) }
        var learnt = 0
        for entry in receipt.accepted where entry.address != local {
            // Time 0 (the C++ node's "connected now") counts as now; a future time is clamped to now.
            let seen = entry.time == 0 ? now : Int64(entry.time)
            if addresses.add(entry.address, seen: seen, now: now) { learnt += 1 }
        }
        let relayable = receipt.relayable.filter { $0.address != local }
        let flushLater = lock.withLock {
            for entry in relayable {
                for target in relay.relayTargets(for: entry.address, excluding: context.peer, nowUnix: now) {
                    relay.enqueue([entry], for: target)
                }
            }
            if !relayable.isEmpty { relayCounts["relayed-entries", default: 0] += relayable.count }
            relayCounts["learnt", default: 0] += learnt
            return flushLocked(nowSeconds: nowSeconds)
        }
        if isFetch && receipt.answeredOurGetaddr {
            peers.dialer.addressFetchAnswered(peer: context.peer)
            logger.debug("address fetch answered", metadata: [
                "peer": "\(context.peer.rawValue)", "entries": "\(entries.count)", "learnt": "\(learnt)"])
            context.disconnect(reason: .localRequest)
        }
        if learnt > 0 || flushLater { peers.dialer.wake() }
    }

    /// Dialer thread: sends the queued `addr` messages if their time has come; returns when the
    /// next ones are due (engine seconds), nil if none wait.
    func flushIfDue(nowSeconds: Double) -> Double? {
        lock.withLock {
            if let flushAt = nextFlushSeconds, flushAt <= nowSeconds {
                nextFlushSeconds = nil
                _ = flushLocked(nowSeconds: nowSeconds)
            }
            return nextFlushSeconds
        }
    }

    /// The relay counters, copied.
    func counts() -> [String: Int] { lock.withLock { relayCounts } }

    /// Sends the `addr` messages whose peers' send interval has passed. Returns true when others
    /// wait: the caller wakes the dialer (after releasing `lock`) to send them in time. Caller
    /// holds `lock`.
    private func flushLocked(nowSeconds: Double) -> Bool {
        let (sends, next) = relay.takeDue(nowSeconds: nowSeconds)
        for (peer, entries) in sends {
            peers.engine?.send(command: Command.addr, payload: Message.addr(entries).encodePayload(), to: peer)
        }
        if !sends.isEmpty { relayCounts["messages-sent", default: 0] += sends.count }
        guard let next else { return false }
        nextFlushSeconds = min(nextFlushSeconds ?? next, next)
        return true
    }
}
