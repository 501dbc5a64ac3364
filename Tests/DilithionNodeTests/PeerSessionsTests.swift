import DilithionNet
@testable import DilithionNode
import DilithionSystem
import DilithionWire
import XCTest

/// Inbound admission of ``PeerSessions``: the per-host and inbound slot counts (outbound sessions
/// count for neither) and the inbound count the protocol reads before it builds eviction's
/// protection set.
final class PeerSessionsTests: XCTestCase {
    let now = EngineInstant(nanoseconds: 1_000_000_000)

    func session(_ id: UInt64, host: String, _ direction: PeerDirection = .inbound) -> PeerSession {
        PeerSession(
            id: PeerID(rawValue: id), direction: direction, address: SocketAddress(host: host, port: 40_000)!,
            isManual: false,
            handshake: HandshakeMachine(
                isOutbound: direction == .outbound, genesisHash: Network.regtest.parameters.genesisHash,
                minimumProtocolVersion: 70_000, localNonce: 1),
            now: now, nowSeconds: 1)
    }

    func admit(_ sessions: PeerSessions, _ session: PeerSession) -> Bool {
        let (admitted, evict) = sessions.admit(session, maxInbound: 10, maxPerHost: 2, deliveredRecently: [], now: now)
        XCTAssertNil(evict, "below the inbound limit nobody is evicted")
        return admitted
    }

    func testInboundSlotsPerHostAndInTotal() {
        let sessions = PeerSessions()
        XCTAssertTrue(admit(sessions, session(1, host: "10.0.0.1")))
        XCTAssertTrue(admit(sessions, session(2, host: "10.0.0.1", .outbound)), "outbound: no inbound slot")
        XCTAssertTrue(admit(sessions, session(3, host: "10.0.0.1")))
        XCTAssertFalse(admit(sessions, session(4, host: "10.0.0.1")), "a third inbound peer from one host")
        XCTAssertTrue(admit(sessions, session(5, host: "10.0.0.2")))
        XCTAssertEqual(sessions.inboundCount, 3)
        _ = sessions.remove(PeerID(rawValue: 1))
        XCTAssertEqual(sessions.inboundCount, 2)
        XCTAssertTrue(admit(sessions, session(6, host: "10.0.0.1")), "the host's slot is free again")
    }
}
