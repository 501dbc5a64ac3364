import DilithionNet
import DilithionNode
import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

/// Every peer-protocol deadline, driven by a manual clock: time moves only when the test says so,
/// so each deadline is checked on both sides of its edge without sleeping through it.
final class PeerDeadlineTests: XCTestCase {
    var harness = NodeHarness()
    let clock = ManualClock()

    override func tearDown() {
        harness.shutdown()
        super.tearDown()
    }

    func version(nonce: UInt64 = 77) -> Message {
        .version(VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: nonce, userAgent: "/fake/", startHeight: 0,
            relay: true, genesisHash: Network.regtest.parameters.genesisHash))
    }

    /// Orders the checks after the node's dispatcher (see ``DispatcherBarrier``); set by the tests
    /// that move the clock, once their raw peer is in place.
    var barrier: DispatcherBarrier?

    /// A node on the manual clock with one raw peer that has completed the handshake, and a barrier.
    func establishedPeer() throws -> (Node, FakePeer) {
        let node = try harness.makeNode(clock: clock)
        let raw = try FakePeer(port: harness.port(of: node))
        raw.send(version())
        _ = raw.receive(for: 5) { $0.count >= 2 }
        raw.send(.verack)
        NodeHarness.wait("established") { node.peerInfo().first?.handshakeComplete == true }
        barrier = try DispatcherBarrier(port: harness.port(of: node))
        return (node, raw)
    }

    /// Advances the manual clock in 1-second steps (the keepalive tick is 5 s), each followed by a
    /// barrier pass, so every tick runs at its own time and no check races the dispatcher.
    func advance(seconds: Int) {
        for _ in 0..<seconds {
            clock.advance(by: .seconds(1))
            barrier?.pass()
        }
    }

    /// Waits for a disconnect the node has already decided (its deadline passed before a barrier).
    func waitForDisconnect(_ node: Node, _ reason: String, count: Int = 1, file: StaticString = #filePath, line: UInt = #line) {
        NodeHarness.wait(reason, file: file, line: line) { disconnectCount(node, reason) >= count }
    }

    /// Moves the clock 1 s at a time (up to `limit` s) until the peer receives a `ping`; returns it.
    func creepUntilPing(_ raw: FakePeer, limit: Int = 30) -> Frame? {
        for _ in 0..<limit {
            advance(seconds: 1)
            if let ping = raw.receive(for: 0).frames.last(where: { $0.command == "ping" }) {
                return ping
            }
        }
        return nil
    }

    func disconnectCount(_ node: Node, _ reason: String) -> Int {
        node.metricsSnapshot().disconnectsByReason[reason] ?? 0
    }

    func testSilentPeerIsDisconnectedAtTheVersionDeadline() throws {
        let node = try harness.makeNode(clock: clock)
        let raw = try FakePeer(port: harness.port(of: node))
        NodeHarness.wait("peer registered") { node.peerInfo().count == 1 }
        barrier = try DispatcherBarrier(port: harness.port(of: node))
        advance(seconds: 29)
        XCTAssertEqual(raw.receive(for: 0).closed, false, "still connected before 30 s")
        XCTAssertEqual(disconnectCount(node, "handshake-timeout"), 0)
        advance(seconds: 1)
        waitForDisconnect(node, "handshake-timeout")
        XCTAssertTrue(raw.receive(for: 5).closed)
    }

    func testVersionWithoutVerackIsDisconnectedAtTheHandshakeDeadline() throws {
        let node = try harness.makeNode(clock: clock)
        let raw = try FakePeer(port: harness.port(of: node))
        raw.send(version())
        XCTAssertEqual(raw.receive(for: 5) { $0.count >= 2 }.frames.map(\.command), ["version", "verack"])
        barrier = try DispatcherBarrier(port: harness.port(of: node))
        advance(seconds: 59)
        raw.send(.ping(nonce: 1))  // baiting: nothing may be answered before the handshake
        // Once the node has read the bait, the barrier's pass comes after the bait's handler.
        NodeHarness.wait("the bait arrived") {
            node.peerInfo().contains { !$0.handshakeComplete && $0.bytesReceivedPerMessage["ping"] != nil }
        }
        barrier?.pass()
        XCTAssertTrue(raw.receive(for: 0).frames.isEmpty)
        XCTAssertEqual(disconnectCount(node, "handshake-timeout"), 0)
        advance(seconds: 1)
        waitForDisconnect(node, "handshake-timeout")
    }

    func testUnansweredPingIsDisconnectedAfterThePongTimeout() throws {
        let (node, raw) = try establishedPeer()
        // No ping before 60 s of silence; one at a keepalive tick (every 5 s) after it.
        advance(seconds: 55)
        XCTAssertFalse(raw.receive(for: 0).frames.contains { $0.command == "ping" })
        XCTAssertNotNil(creepUntilPing(raw), "a ping after 60 s of silence")
        advance(seconds: 50)
        XCTAssertEqual(disconnectCount(node, "ping-timeout"), 0, "the pong timeout is 60 s")
        advance(seconds: 15)
        waitForDisconnect(node, "ping-timeout")
    }

    func testAnsweredPingsKeepThePeerAndMeasureTheRoundTrip() throws {
        let (node, raw) = try establishedPeer()
        for round in 0..<3 {
            advance(seconds: 55)
            guard let ping = creepUntilPing(raw) else { return XCTFail("no ping in round \(round)") }
            guard case .ping(let nonce) = try Message.decode(ping) else { return XCTFail() }
            raw.send(.pong(nonce: nonce))
            // Wait until the node has processed this pong (no ping outstanding) before time moves.
            NodeHarness.wait("pong \(round) processed") {
                guard let info = node.peerInfo().first else { return false }
                return info.pingWaitSeconds == nil && info.pingSeconds != nil
            }
        }
        XCTAssertEqual(node.peerInfo().count, 2, "the raw peer and the barrier")
        XCTAssertEqual(disconnectCount(node, "ping-timeout"), 0)
    }

    func testMisbehaviourBansTheAddress() throws {
        let (node, raw) = try establishedPeer()
        // Three malformed `inv`s (count larger than the bytes: +10 each) and three oversized
        // locators (+20 each) add up to 90: still connected. One more +20 bans.
        let badInv = FrameEncoder.encode(magic: Network.regtest.magic, command: "inv", payload: [3, 2, 0, 0, 0])
        for _ in 0..<3 { raw.send(bytes: badInv) }
        var locator = [UInt8]([33])
        locator += [UInt8](repeating: 0, count: 32 * 34)
        let badLocator = FrameEncoder.encode(magic: Network.regtest.magic, command: "getheaders", payload: locator)
        for _ in 0..<3 { raw.send(bytes: badLocator) }
        raw.send(.ping(nonce: 3))
        XCTAssertTrue(raw.receive(for: 5) { $0.contains { $0.command == "pong" } }.frames.contains { $0.command == "pong" })
        XCTAssertEqual(node.peerInfo().first?.banScore, 90)
        raw.send(bytes: badLocator)
        NodeHarness.wait("misbehaving") { disconnectCount(node, "misbehaving") == 1 }
        XCTAssertEqual(node.listBanned().map(\.address), ["127.0.0.1"])
        // A new connection from the banned address is refused at once.
        let again = try FakePeer(port: harness.port(of: node))
        again.send(version(nonce: 5))
        XCTAssertTrue(again.receive(for: 5).closed)
        NodeHarness.wait("banned refusal") { disconnectCount(node, "banned") == 1 }
    }
}
