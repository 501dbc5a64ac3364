import DilithionNode
import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

/// Addresses between whole nodes over loopback. The nodes run regtest with `127.0.0.0/8` as a
/// routable subnet, so that `getaddr` answers, relay and seed fetches happen as they would
/// between public addresses; every address here is a loopback address.
final class NodeAddressTests: XCTestCase {
    var harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
        super.tearDown()
    }

    static let loopbackSubnet = IPSubnet("127.0.0.0/8")!

    /// A node that treats loopback as routable and dials nothing by itself.
    func quietNode() throws -> Node {
        try harness.makeNode { configuration in
            configuration.routableSubnets = [Self.loopbackSubnet]
            configuration.maxOutbound = 0
        }
    }

    func establishedPeer(_ node: Node) throws -> FakePeer {
        let peer = try FakePeer(port: harness.port(of: node))
        XCTAssertTrue(peer.handshake().isComplete)
        return peer
    }

    /// Everything the node sends up to our ping's pong: the node handles one peer's messages in
    /// order, so whatever it answered to earlier messages arrives before the pong.
    func framesUntilPong(_ peer: FakePeer, nonce: UInt64) -> [Frame] {
        peer.send(.ping(nonce: nonce))
        return peer.receive(for: 30) { frames in
            frames.contains { $0.command == Command.pong && (try? Message.decode($0)) == .pong(nonce: nonce) }
        }.frames
    }

    func addrEntries(_ frames: [Frame]) -> [[TimestampedAddress]] {
        frames.compactMap { frame in
            guard frame.command == Command.addr, case .addr(let entries)? = try? Message.decode(frame) else { return nil }
            return entries
        }
    }

    func testGetaddrIsAnsweredOncePerConnectionWithRealTimesAndTheCap() throws {
        let node = try quietNode()
        let now = node.now
        var times: [NetAddress: UInt32] = [:]
        for index in 0..<1_200 {
            let address = NetAddress(services: 1, ipv4: (127, 10 + UInt8(index / 250), UInt8(index % 250), 1), port: 18744)
            let seen = now - Int64(index) * 30
            node.addresses.add(address, seen: seen, now: now)
            times[address] = UInt32(seen)
        }
        let peer = try establishedPeer(node)
        peer.send(.getaddr)
        let first = addrEntries(framesUntilPong(peer, nonce: 1))
        XCTAssertEqual(first.count, 1)
        let reply = try XCTUnwrap(first.first)
        XCTAssertEqual(reply.count, 1_000, "the cap")
        XCTAssertEqual(Set(reply.map(\.address)).count, 1_000)
        for entry in reply {
            XCTAssertNotEqual(entry.time, 0)
            XCTAssertEqual(entry.time, times[entry.address], "\(entry.address): the stored last-seen time")
        }

        peer.send(.getaddr)
        XCTAssertTrue(addrEntries(framesUntilPong(peer, nonce: 2)).isEmpty, "a second getaddr on one connection is not answered")
        XCTAssertEqual(node.ignoredMessageCounts["getaddr-repeat"], 1)

        let second = try establishedPeer(node)
        second.send(.getaddr)
        XCTAssertEqual(addrEntries(framesUntilPong(second, nonce: 3)).first?.count, 1_000, "a new connection is answered")
    }

    func testFreshAddressIsRelayedToTwoPeersWithinTheTokenBucket() throws {
        let node = try quietNode()
        let origin = try establishedPeer(node)
        // Three listeners that showed interest in addresses (getaddr; the book is empty, so no answer).
        let listeners = try (0..<3).map { _ in try establishedPeer(node) }
        for (index, listener) in listeners.enumerated() {
            listener.send(.getaddr)
            _ = framesUntilPong(listener, nonce: UInt64(10 + index))
        }
        let gossip = TimestampedAddress(time: UInt32(node.now - 1), address: NetAddress(host: "127.44.0.1", port: 18744)!)
        origin.send(.addr([gossip]))
        var received: [Int: [TimestampedAddress]] = [:]
        NodeHarness.wait("two listeners got the address") {
            for (index, listener) in listeners.enumerated() {
                if let entries = addrEntries(listener.receive(for: 0.05).frames).first { received[index] = entries }
            }
            return received.count >= 2
        }
        XCTAssertEqual(received.count, 2)
        for entries in received.values { XCTAssertEqual(entries, [gossip]) }
        XCTAssertEqual(node.addressRelayCounters["relayed-entries"], 1)
        // The third listener gets nothing: everything the relay step sent is already out.
        let third = try XCTUnwrap((0..<3).first { received[$0] == nil })
        XCTAssertTrue(addrEntries(framesUntilPong(listeners[third], nonce: 20)).isEmpty)
        XCTAssertTrue(node.addresses.allEntries.contains { $0.key == "127.44.0.1:18744" })

        // The origin's bucket (one token at the start, 0.1 per second) is spent: of 50 more
        // addresses nearly all are dropped (one per 10 s since the handshake would be let through).
        let more = (0..<50).map { TimestampedAddress(time: UInt32(node.now), address: NetAddress(host: "127.60.0.\($0 + 1)", port: 18744)!) }
        origin.send(.addr(more))
        _ = framesUntilPong(origin, nonce: 21)
        let limited = node.ignoredMessageCounts["addr-rate-limited"] ?? 0
        XCTAssertGreaterThan(limited, 40)
        XCTAssertEqual(node.addresses.allEntries.filter { $0.host.hasPrefix("127.60.") }.count, 50 - limited)
        XCTAssertEqual(node.addressRelayCounters["relayed-entries"], 1, "a 50-entry message is not gossip")
    }

    func testNonRoutableAddressesAreNeitherLearntNorRelayedWithoutTheSubnet() throws {
        let node = try harness.makeNode { $0.maxOutbound = 0 }
        let origin = try establishedPeer(node)
        let listener = try establishedPeer(node)
        listener.send(.getaddr)
        _ = framesUntilPong(listener, nonce: 1)
        origin.send(.addr([TimestampedAddress(time: UInt32(node.now), address: NetAddress(host: "127.50.0.1", port: 18744)!)]))
        _ = framesUntilPong(origin, nonce: 2)
        XCTAssertEqual(node.addresses.count, 0)
        XCTAssertNil(node.addressRelayCounters["relayed-entries"])
        XCTAssertTrue(addrEntries(framesUntilPong(listener, nonce: 3)).isEmpty)
    }

    /// Seed-driven bootstrap: a node that knows only a seed fetches addresses from it, leaves it,
    /// and dials the addresses it got, one per network group.
    func testANodeBootstrapsFromASeedAndLeavesIt() throws {
        func listening(on host: String) throws -> Node {
            try harness.makeNode { configuration in
                configuration.listen = ["\(host):0"]
                configuration.routableSubnets = [Self.loopbackSubnet]
                configuration.maxOutbound = 0
            }
        }
        let seed = try listening(on: "127.1.0.1")
        let first = try listening(on: "127.2.0.1")
        let second = try listening(on: "127.3.0.1")
        let sameGroupAsSecond = try listening(on: "127.3.0.2")
        let now = seed.now
        for (host, node) in [("127.2.0.1", first), ("127.3.0.1", second), ("127.3.0.2", sameGroupAsSecond)] {
            seed.addresses.add(NetAddress(host: host, port: harness.port(of: node))!, seen: now, now: now)
        }
        let newcomer = try harness.makeNode { configuration in
            configuration.listen = ["127.4.0.1:0"]
            configuration.routableSubnets = [Self.loopbackSubnet]
            configuration.seedNodes = ["127.1.0.1:\(self.harness.port(of: seed))"]
        }
        NodeHarness.wait("outbound peers from the seed's addresses, one per group") {
            let outbound = newcomer.peerInfo().filter { !$0.inbound && $0.handshakeComplete }.map(\.address)
            return outbound.count == 2 && outbound.contains { $0.hasPrefix("127.2.0.1:") }
                && outbound.contains { $0.hasPrefix("127.3.0.") }
        }
        NodeHarness.wait("the seed connection is closed after its answer") {
            (newcomer.metricsSnapshot().disconnectsByReason["local-request"] ?? 0) >= 1
        }
        let slotHolders = newcomer.peerInfo().filter { !$0.inbound && !$0.address.hasPrefix("127.1.0.1:") }
        XCTAssertEqual(slotHolders.count, 2, "one outbound per /16 group: \(slotHolders.map(\.address))")
        XCTAssertGreaterThanOrEqual(newcomer.addresses.count, 3)
    }
}
