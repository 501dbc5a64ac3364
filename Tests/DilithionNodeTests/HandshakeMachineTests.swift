import DilithionNode
import DilithionWire
import XCTest

/// Every handshake order, with no socket and no clock.
final class HandshakeMachineTests: XCTestCase {
    let genesis = Network.regtest.parameters.genesisHash

    func machine(outbound: Bool) -> HandshakeMachine {
        HandshakeMachine(isOutbound: outbound, genesisHash: genesis, minimumProtocolVersion: 70005, localNonce: 42)
    }

    func version(nonce: UInt64 = 7, protocolVersion: Int32 = 70011, genesis: Hash256? = nil, services: UInt64 = 1) -> VersionMessage {
        VersionMessage(
            protocolVersion: protocolVersion, services: services, timestamp: 0,
            receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: nonce, userAgent: "/t/",
            startHeight: 0, relay: true, genesisHash: genesis ?? self.genesis)
    }

    func testOutboundVersionThenVerack() {
        var m = machine(outbound: true)
        XCTAssertEqual(m.connected(), [.sendVersion])
        XCTAssertEqual(m.received(version: version()), [.sendVerack])
        XCTAssertFalse(m.isEstablished)
        XCTAssertEqual(m.receivedVerackMessage(), [.established])
        XCTAssertTrue(m.isEstablished)
    }

    func testOutboundVerackOvertakesVersion() {
        // The BUG #134 shape: the peer's verack arrives before its version has been processed.
        var m = machine(outbound: true)
        _ = m.connected()
        XCTAssertEqual(m.receivedVerackMessage(), [])
        XCTAssertEqual(m.received(version: version()), [.sendVerack, .established])
        XCTAssertTrue(m.isEstablished)
    }

    func testInboundWaitsForVersion() {
        var m = machine(outbound: false)
        XCTAssertEqual(m.connected(), [], "an inbound peer speaks first")
        XCTAssertEqual(m.received(version: version()), [.sendVersion, .sendVerack])
        XCTAssertEqual(m.receivedVerackMessage(), [.established])
    }

    func testInboundVerackBeforeVersion() {
        var m = machine(outbound: false)
        XCTAssertEqual(m.receivedVerackMessage(), [], "remembered, not acted on")
        XCTAssertEqual(m.received(version: version()), [.sendVersion, .sendVerack, .established])
    }

    func testSimultaneousVersions() {
        // Both ends send version at once (e.g. both dialled): the order of our own send does not matter.
        var m = machine(outbound: true)
        _ = m.connected()
        XCTAssertEqual(m.received(version: version()), [.sendVerack])
        XCTAssertEqual(m.receivedVerackMessage(), [.established])
    }

    func testDuplicateVersionAndVerackAreIgnored() {
        var m = machine(outbound: false)
        _ = m.received(version: version())
        XCTAssertEqual(m.received(version: version(nonce: 9)), [.ignore("redundant version")])
        XCTAssertEqual(m.receivedVersion?.nonce, 7, "the first version stays")
        XCTAssertEqual(m.receivedVerackMessage(), [.established])
        XCTAssertEqual(m.receivedVerackMessage(), [.ignore("redundant verack")])
        XCTAssertEqual(m.received(version: version()), [.ignore("redundant version")])
    }

    func testWrongGenesisGetsTheCppRejectFrame() throws {
        var m = machine(outbound: false)
        let actions = m.received(version: version(genesis: Hash256(w0: 0x1111, w1: 0, w2: 0, w3: 0)))
        XCTAssertEqual(actions, [.sendReject(.genesisMismatch), .disconnect(.wrongGenesis)])
        // Byte-identical to the C++ node's reject frame.
        let captured = try XCTUnwrap(HexCoding.decode(
            "024171d1" + "72656a656374000000000000" + "88000000" + "345b8e5b"))
        let ours = FrameEncoder.encode(.reject(.genesisMismatch), magic: Network.mainnet.magic)
        XCTAssertEqual(Array(ours.prefix(24)), captured)
        XCTAssertFalse(m.isEstablished)
    }

    func testObsoleteProtocolVersion() {
        var m = machine(outbound: true)
        _ = m.connected()
        let actions = m.received(version: version(protocolVersion: 70004))
        XCTAssertEqual(actions.count, 2)
        XCTAssertEqual(actions.last, .disconnect(.obsoleteVersion))
        guard case .sendReject(let reject) = actions.first else { return XCTFail("no reject") }
        XCTAssertEqual(reject.code, RejectMessage.Code.obsolete.rawValue)
        XCTAssertEqual(m.receivedVerackMessage(), [], "never established")
    }

    func testAPeerWeDialledMustOfferNodeNetwork() {
        var outbound = machine(outbound: true)
        _ = outbound.connected()
        XCTAssertEqual(outbound.received(version: version(services: 8)), [.disconnect(.missingServices)])
        XCTAssertNil(outbound.receivedVersion)
        // Inbound peers (light clients, crawlers) may offer nothing.
        var inbound = machine(outbound: false)
        XCTAssertEqual(inbound.received(version: version(services: 0)), [.sendVersion, .sendVerack])
    }

    func testSelfConnectionByNonce() {
        var m = machine(outbound: false)
        XCTAssertEqual(m.received(version: version(nonce: 42)), [.disconnect(.selfConnection)])
    }
}
