import DilithionChain
import DilithionNet
import DilithionNode
import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

/// Whole nodes over loopback sockets: handshakes both ways, the pre-handshake leak test, and a
/// headers-first sync.
final class NodeLoopbackTests: XCTestCase {
    var harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
        super.tearDown()
    }

    func established(_ node: Node) -> [PeerInfo] { node.peerInfo().filter(\.handshakeComplete) }

    func testTwoNodesHandshakeInBothDirectionsRepeatedly() throws {
        let a = try harness.makeNode()
        let b = try harness.makeNode()
        for round in 0..<20 {
            let (from, to) = round % 2 == 0 ? (a, b) : (b, a)
            let target = "127.0.0.1:\(harness.port(of: to))"
            try from.addNode(target, command: .onetry)
            NodeHarness.wait("round \(round): both sides established") {
                established(from).contains { !$0.inbound } && established(to).contains { $0.inbound }
            }
            for peer in from.peerInfo() { try? from.disconnect(address: nil, peerID: peer.id) }
            NodeHarness.wait("round \(round): both sides disconnected") { from.peerInfo().isEmpty && to.peerInfo().isEmpty }
        }
    }

    /// The BUG #134 regression at the protocol level: 100 handshakes, alternating direction, through
    /// a proxy that delivers each frame separately with a 10 ms gap after it, so every `verack`
    /// arrives after the `version` before it was processed. Both sides must complete every time.
    func testHandshakesWithADelayBetweenVersionAndVerackAlwaysComplete() throws {
        let a = try harness.makeNode()
        let b = try harness.makeNode()
        let toB = try FrameDelayProxy(targetPort: harness.port(of: b), gapMilliseconds: 10)
        let toA = try FrameDelayProxy(targetPort: harness.port(of: a), gapMilliseconds: 10)
        defer {
            toB.stop()
            toA.stop()
        }
        var completed = 0
        for round in 0..<100 {
            let (from, to, proxy) = round % 2 == 0 ? (a, b, toB) : (b, a, toA)
            try from.addNode("127.0.0.1:\(proxy.port)", command: .onetry)
            let ok = NodeHarness.wait("round \(round): both sides established") {
                established(from).contains { !$0.inbound } && established(to).contains { $0.inbound }
            }
            if ok { completed += 1 }
            for peer in from.peerInfo() { try? from.disconnect(address: nil, peerID: peer.id) }
            NodeHarness.wait("round \(round): both sides disconnected") { from.peerInfo().isEmpty && to.peerInfo().isEmpty }
        }
        XCTAssertEqual(completed, 100)
    }

    func testNothingButVersionAndVerackBeforeTheHandshake() throws {
        let node = try harness.makeNode()
        _ = try node.generate(blocks: 3, blockSize: 300)
        let raw = try FakePeer(port: harness.port(of: node))
        raw.send(.getaddr)
        raw.send(.getheaders(GetHeadersMessage(locator: [])))
        raw.send(.ping(nonce: 5))
        raw.send(.mempool)
        // Once the node has ignored all four, anything it answered was queued before they were
        // counted; any frame that is still in flight lands in front of `version` below.
        NodeHarness.wait("the four messages ignored") { (node.ignoredMessageCounts["pre-handshake"] ?? 0) >= 4 }
        let early = raw.receive(for: 0)
        XCTAssertTrue(early.frames.isEmpty, "the node answered before version: \(early.frames.map(\.command))")
        // Now a real handshake: only version and verack come back, then the post-handshake tail.
        var version = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: 99, userAgent: "/raw/", startHeight: 0,
            relay: true, genesisHash: Network.regtest.parameters.genesisHash)
        version.relay = 1
        raw.send(.version(version))
        let replies = raw.receive(for: 5) { $0.count >= 2 }
        XCTAssertEqual(replies.frames.prefix(2).map(\.command), ["version", "verack"])
        raw.send(.verack)
        raw.send(.ping(nonce: 6))
        let after = raw.receive(for: 5) { frames in frames.contains { $0.command == "pong" } }
        XCTAssertTrue(after.frames.contains { $0.command == "sendheaders" })
        XCTAssertEqual(after.frames.first { $0.command == "pong" }?.payload, [6, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertGreaterThanOrEqual(node.ignoredMessageCounts["pre-handshake"] ?? 0, 4)
    }

    func testWrongGenesisIsRejectedAndDisconnected() throws {
        let node = try harness.makeNode()
        let raw = try FakePeer(port: harness.port(of: node))
        let version = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: 1, userAgent: "/raw/", startHeight: 0,
            relay: true, genesisHash: Hash256(w0: 0x1111, w1: 0, w2: 0, w3: 0))
        raw.send(.version(version))
        let result = raw.receive(for: 5)
        XCTAssertEqual(result.frames.map(\.command), ["reject"])
        XCTAssertTrue(result.closed)
        XCTAssertEqual(try Message.decode(result.frames[0]), .reject(.genesisMismatch))
    }

    /// RELIABILITY.md case 9: a peer we dial that does not offer NODE_NETWORK is dropped with
    /// `missing-services` (and counted); it cannot serve the blocks we dialled it for.
    func testAnOutboundPeerWithoutNodeNetworkIsDisconnected() throws {
        let node = try harness.makeNode()
        let version = VersionMessage(
            protocolVersion: 70011, services: 0, timestamp: Int64(Date().timeIntervalSince1970),
            receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 0, ipv4: (0, 0, 0, 0), port: 0), nonce: 77, userAgent: "/crawler/",
            startHeight: 0, relay: false, genesisHash: Network.regtest.parameters.genesisHash)
        let listener = try RawListener(answering: version)
        try node.addNode("127.0.0.1:\(listener.port)", command: .onetry)
        NodeHarness.wait("the node closed the connection") { listener.wasClosedByNode }
        NodeHarness.wait("counted") { node.metricsSnapshot().disconnectsByReason["missing-services"] == 1 }
        XCTAssertTrue(established(node).isEmpty)
    }

    /// A block mined at one end of a line A ← B ← C reaches C: B announces what it received, whether
    /// the block's header arrived first or the block moved its tip directly.
    func testBlocksAreRelayedPastOneHop() throws {
        let a = try harness.makeNode()
        let b = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: a))"])
        let c = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: b))"])
        NodeHarness.wait("line connected") { established(b).count == 2 && established(c).count == 1 }
        for round in 1...5 {
            let hash = try a.generate(blocks: 1, blockSize: 300)[0]
            NodeHarness.wait("block \(round) at the far end") { c.blockchainInfo().bestBlockHash == hash }
        }
        XCTAssertEqual(c.blockchainInfo().blocks, 5)
    }

    /// Node A holds a generated chain of 3,000 small blocks with a 1 MiB block after every 1,000;
    /// an empty node syncs it headers-first and ends on the same best hash, then follows new blocks.
    func testEmptyNodeSyncsFromAGeneratedChain() throws {
        let source = try harness.makeNode()
        for _ in 0..<3 {
            _ = try source.generate(blocks: 1_000, blockSize: 400)
            _ = try source.generate(blocks: 1, blockSize: 1 << 20)
        }
        let target = source.blockchainInfo()
        XCTAssertEqual(target.blocks, 3_003)
        let syncing = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: source))"])
        NodeHarness.wait("sync to \(target.blocks)", timeout: 300) {
            syncing.blockchainInfo().bestBlockHash == target.bestBlockHash
        }
        XCTAssertEqual(syncing.blockchainInfo().blocks, 3_003)
        XCTAssertFalse(syncing.blockchainInfo().initialBlockDownload)
        // The source is this implementation, so the download pipeline grew past the C++ cap of 32.
        XCTAssertGreaterThan(syncing.peerInfo().first?.blocksInFlightLimit ?? 0, BlockDownloadConfiguration.hardMaxInFlightPerPeer)
        // New blocks are announced and fetched.
        let more = try source.generate(blocks: 3, blockSize: 300)
        NodeHarness.wait("announced blocks") { syncing.blockchainInfo().bestBlockHash == more.last! }
    }

    /// Three serving peers, one of which withholds every block it is asked for: the syncing node
    /// detects the stall, disconnects the staller, re-requests its blocks from the two honest
    /// servers and completes.
    func testSyncCompletesAndTheStallerIsDisconnectedWhenOneOfThreeServersWithholds() throws {
        let a = try harness.makeNode()
        _ = try a.generate(blocks: 600, blockSize: 400)
        let target = a.blockchainInfo()
        let b = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: a))"])
        NodeHarness.wait("second server synced", timeout: 120) { b.blockchainInfo().bestBlockHash == target.bestBlockHash }

        let syncing = try harness.makeNode()
        // The staller is established first, so it has the lowest peer id and is handed the first
        // (lowest) blocks: the tip cannot move until its blocks are re-requested elsewhere.
        let headers = try (1...target.blocks).map { height in
            let payload = try XCTUnwrap(a.blockHash(atHeight: height).flatMap { a.blockPayload(hash: $0) })
            guard case .block(let block) = try Message.decode(command: "block", payload: payload) else { throw POSIXError(.EPROTO) }
            return block.header
        }
        let staller = try WithholdingPeer(port: harness.port(of: syncing), headers: headers)
        defer { staller.stop() }
        NodeHarness.wait("staller established") { established(syncing).count == 1 }
        try syncing.addNode("127.0.0.1:\(harness.port(of: a))", command: .add)
        try syncing.addNode("127.0.0.1:\(harness.port(of: b))", command: .add)

        NodeHarness.wait("sync to \(target.blocks)", timeout: 180) {
            syncing.blockchainInfo().bestBlockHash == target.bestBlockHash
        }
        NodeHarness.wait("the staller disconnected") { staller.wasDisconnected }
        XCTAssertGreaterThan(staller.blocksRequested, 0)
        XCTAssertGreaterThanOrEqual(syncing.metricsSnapshot().disconnectsByReason["stalling"] ?? 0, 1)
        XCTAssertEqual(Set(established(syncing).map(\.inbound)), [false], "only the two honest servers remain")
        XCTAssertEqual(established(syncing).count, 2)
    }
}
