import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Addresses on the wire: `getaddr` answers, `addr` receipt and relay (``AddressRelay``), our own
/// address advertised to outbound peers, and address fetches from seeds. Dispatcher thread,
/// except ``flushAddressRelayLocked(nowSeconds:)`` which the dialer also calls.
extension PeerProtocol {
    /// The address peers can reach us at, when we know one the policy calls routable:
    /// `--externalip` with the port we listen on.
    var advertisedAddress: NetAddress? {
        guard let host = configuration.externalIP, let port = engine?.listeningAddresses.first?.port,
              let address = NetAddress(host: host, port: port), addresses.policy.isRoutable(address) else { return nil }
        return address
    }

    /// After a handshake: an outbound peer is asked for addresses (and told ours); an inbound
    /// peer's advertised listening address is learnt.
    func addressesAfterHandshake(_ context: any HandlerContext, direction: PeerDirection, version: VersionMessage, address: SocketAddress) {
        let now = wallClock.now
        let nowSeconds = Double(context.now.nanoseconds) / 1e9
        lock.withLock { addressRelay.peerEstablished(context.peer, outbound: direction == .outbound, nowSeconds: nowSeconds) }
        if direction == .outbound {
            send(.getaddr, context)
            let local = advertisedAddress
            lock.withLock {
                addressRelay.sentGetaddr(to: context.peer)
                if let local, !dial.isAddressFetch(peer: context.peer) {
                    addressRelay.enqueue([TimestampedAddress(time: UInt32(clamping: now), address: local)], for: context.peer)
                }
                flushAddressRelayLocked(nowSeconds: nowSeconds)
            }
            if !isAddressFetchPeer(context.peer) { addresses.markGood(host: address.host, port: address.port, now: now) }
        } else if addresses.policy.isRoutable(version.sender), version.sender != advertisedAddress {
            // An inbound peer's advertised listening address (C++ peers send 0.0.0.0:0 unless they
            // know their external IP, which is not routable and so not kept).
            if addresses.add(version.sender, seen: now, now: now) { dialerCondition.broadcast() }
        }
    }

    /// `getaddr`: answered once per connection with a random sample of good addresses and their
    /// real last-seen times; repeats are counted and ignored.
    func receivedGetaddr(_ context: any HandlerContext) {
        let first = lock.withLock { addressRelay.receivedGetaddr(from: context.peer) }
        guard first else {
            countIgnored("getaddr-repeat")
            return
        }
        let now = wallClock.now
        // Connected outbound peers are alive now: their entries go out with a fresh time.
        let connected = lock.withLock {
            sessions.values.filter { $0.direction == .outbound && $0.isEstablished && !dial.isAddressFetch(peer: $0.id) }
                .map(\.address)
        }
        for peer in connected { addresses.markGood(host: peer.host, port: peer.port, now: now) }
        var generator = SystemRandomNumberGenerator()
        let reply = addresses.reply(now: now, using: &generator)
        guard !reply.isEmpty else { return }
        lock.withLock {
            addressRelay.enqueue(reply, for: context.peer)
            flushAddressRelayLocked(nowSeconds: Double(context.now.nanoseconds) / 1e9)
        }
    }

    /// `addr`: entries within the peer's token bucket are stored (routable ones only), fresh ones
    /// from small messages relayed to two peers; an address fetch ends with its answer.
    func receivedAddresses(_ entries: [TimestampedAddress], _ context: any HandlerContext) {
        let now = wallClock.now
        let nowSeconds = Double(context.now.nanoseconds) / 1e9
        let local = advertisedAddress
        let policy = addresses.policy
        let (receipt, isFetch) = lock.withLock {
            forgetDepartedAddressPeersLocked()
            let receipt = addressRelay.received(entries, from: context.peer, nowUnix: now, nowSeconds: nowSeconds,
                                                isRoutable: policy.isRoutable)
            return (receipt, dial.isAddressFetch(peer: context.peer))
        }
        if receipt.rateLimited > 0 {
            lock.withLock { ignoredCounts["addr-rate-limited", default: 0] += receipt.rateLimited }
        }
        var learnt = 0
        for entry in receipt.accepted where entry.address != local {
            // Time 0 (the C++ node's "connected now") counts as now; a future time is clamped to now.
            let seen = entry.time == 0 ? now : Int64(entry.time)
            if addresses.add(entry.address, seen: seen, now: now) { learnt += 1 }
        }
        let relayable = receipt.relayable.filter { $0.address != local }
        lock.withLock {
            for entry in relayable {
                for target in addressRelay.relayTargets(for: entry.address, excluding: context.peer, nowUnix: now) {
                    addressRelay.enqueue([entry], for: target)
                }
            }
            if !relayable.isEmpty { addressRelayCounts["relayed-entries", default: 0] += relayable.count }
            addressRelayCounts["learnt", default: 0] += learnt
            flushAddressRelayLocked(nowSeconds: nowSeconds)
        }
        if isFetch && receipt.answeredOurGetaddr {
            lock.withLock { dial.addressFetchAnswered(peer: context.peer) }
            logger.debug("address fetch answered", metadata: [
                "peer": "\(context.peer.rawValue)", "entries": "\(entries.count)", "learnt": "\(learnt)"])
            context.disconnect(reason: .localRequest)
        }
        if learnt > 0 { dialerCondition.broadcast() }
    }

    /// Sends the `addr` messages whose peers' send interval has passed; the dialer wakes for the rest.
    func flushAddressRelayLocked(nowSeconds: Double) {
        let (sends, next) = addressRelay.takeDue(nowSeconds: nowSeconds)
        for (peer, entries) in sends {
            engine?.send(command: Command.addr, payload: Message.addr(entries).encodePayload(), to: peer)
        }
        if !sends.isEmpty { addressRelayCounts["messages-sent", default: 0] += sends.count }
        if let next {
            nextAddressFlushSeconds = min(nextAddressFlushSeconds ?? next, next)
            dialerCondition.broadcast()
        }
    }

    /// Drops relay state of peers that have left (the relay learns of departures lazily).
    func forgetDepartedAddressPeersLocked() {
        for peer in addressRelay.peers.keys where sessions[peer] == nil { addressRelay.peerLeft(peer) }
    }

    func isAddressFetchPeer(_ peer: PeerID) -> Bool {
        lock.withLock { dial.isAddressFetch(peer: peer) }
    }
}
