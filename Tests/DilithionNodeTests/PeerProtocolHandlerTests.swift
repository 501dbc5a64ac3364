import DilithionNet
@testable import DilithionNode
import DilithionSystem
import DilithionTestKit
import DilithionWire
import Foundation
import Logging
import XCTest

/// The peer protocol's handlers, called through the per-command table exactly as the dispatcher
/// calls them, against a ``RecordingContext``: no sockets, no threads, a manual clock.
final class PeerProtocolHandlerTests: XCTestCase {
    /// Records the peer protocol's events.
    final class RecordingEvents: PeerEvents, @unchecked Sendable {
        private let lock = PThreadMutex()
        // guarded by lock
        private var establishedPeers: [PeerID] = []
        private var leftPeers: [PeerID] = []

        var established: [PeerID] { lock.withLock { establishedPeers } }
        var left: [PeerID] { lock.withLock { leftPeers } }

        func peerEstablished(_ peer: PeerID, version: VersionMessage, host: String) {
            lock.withLock { establishedPeers.append(peer) }
        }
        func peerLeft(_ peer: PeerID) { lock.withLock { leftPeers.append(peer) } }
        func peerWantsHeaders(_ peer: PeerID) {}
        func peerSentSendCompact(_ request: SendCompactMessage, from peer: PeerID) {}
        func legacyHeadersReady(for peer: PeerID) {}
        func tick(now: EngineInstant) {}
        func peersThatDeliveredBlocks(since now: EngineInstant, within window: Duration) -> Set<PeerID> { [] }
    }

    let clock = ManualClock()
    let events = RecordingEvents()
    var directory = ""
    var peers: PeerProtocol!
    var handlers = MessageHandlers()

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "peer-protocol-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = NodeConfiguration(network: .regtest, dataDirectory: directory)
        let wallClock = WallClock(mockTime: 1_700_000_000)
        peers = PeerProtocol(
            configuration: configuration, bans: try BanList(path: nil, now: wallClock.now),
            addresses: try AddressBook(path: nil), logger: Logger(label: "test.peer"), wallClock: wallClock,
            clock: clock, tipHeight: { 0 })
        peers.events = events
        handlers = MessageHandlers()
        peers.register(into: &handlers)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func inboundContext(_ id: UInt64 = 1) -> RecordingContext {
        RecordingContext(peer: PeerID(rawValue: id), clock: clock, remoteAddress: SocketAddress(host: "127.0.0.1", port: 40_000)!)
    }

    /// Hands `message` to the table's handler for its command, as the dispatcher does.
    func deliver(_ message: Message, _ context: RecordingContext) {
        let frame = Frame(command: message.command, payload: message.encodePayload())
        guard let handler = handlers.handler(for: frame.command) else { return XCTFail("no handler for \(frame.command)") }
        handler(context, frame)
    }

    func peerVersion(nonce: UInt64 = 7) -> VersionMessage {
        VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0,
            receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: nonce, userAgent: "/test/",
            startHeight: 0, relay: true, genesisHash: Network.regtest.parameters.genesisHash)
    }

    /// The peer protocol speaks for the chain the node runs: on `--legacy-regtest` its genesis is
    /// the legacy regtest genesis (a version naming the plain regtest genesis is refused), which the
    /// engine-level network (`regtest`, the same magic) does not tell apart.
    func testTheLegacyRegtestNodeUsesTheLegacyGenesis() throws {
        var configuration = NodeConfiguration(network: .regtest, dataDirectory: directory)
        configuration.legacyRegtest = true
        let wallClock = WallClock(mockTime: 1_700_000_000)
        let legacy = PeerProtocol(
            configuration: configuration, bans: try BanList(path: nil, now: wallClock.now),
            addresses: try AddressBook(path: nil), logger: Logger(label: "test.peer"), wallClock: wallClock,
            clock: clock, tipHeight: { 0 })
        XCTAssertEqual(legacy.parameters.genesisHash, NetworkParameters.legacyRegtest.genesisHash)
        XCTAssertNotEqual(legacy.parameters.genesisHash, Network.regtest.parameters.genesisHash)
    }

    func testInboundHandshakeAnswersVersionThenCompletesOnVerack() throws {
        let context = inboundContext()
        handlers.onConnect?(context, .inbound)
        XCTAssertEqual(context.sentCommands, [], "an inbound peer speaks first")
        XCTAssertEqual(Set(context.timers), [PeerTimer.versionDeadline.rawValue, PeerTimer.handshakeDeadline.rawValue,
                                             PeerTimer.keepalive.rawValue])

        deliver(.version(peerVersion()), context)
        XCTAssertEqual(context.sentCommands, [Command.version, Command.verack])
        XCTAssertEqual(events.established, [])

        deliver(.verack, context)
        XCTAssertEqual(context.sentCommands, [Command.version, Command.verack, Command.sendheaders])
        XCTAssertEqual(events.established, [context.peer])
        XCTAssertEqual(context.disconnects, [])
    }

    /// Only a peer that completed its handshake is announced as gone to the components behind the
    /// handshake gate; one that left during it (a scanner, a flood) costs them nothing.
    func testOnlyEstablishedPeersAreReportedAsLeft() throws {
        let halfway = inboundContext(1)
        handlers.onConnect?(halfway, .inbound)
        deliver(.version(peerVersion(nonce: 7)), halfway)
        handlers.onDisconnect?(halfway.peer, .peerClosed)
        XCTAssertEqual(events.left, [], "a peer that never completed the handshake")

        let complete = inboundContext(2)
        handlers.onConnect?(complete, .inbound)
        deliver(.version(peerVersion(nonce: 8)), complete)
        deliver(.verack, complete)
        XCTAssertEqual(events.established, [complete.peer])
        handlers.onDisconnect?(complete.peer, .peerClosed)
        XCTAssertEqual(events.left, [complete.peer])
    }

    func testPingBeforeTheHandshakeIsIgnoredAndCountedAfterItIsAnswered() throws {
        let context = inboundContext()
        handlers.onConnect?(context, .inbound)
        deliver(.ping(nonce: 0x1122_3344_5566_7788), context)
        XCTAssertEqual(context.sentCommands, [], "no pong before the handshake")
        XCTAssertEqual(peers.counters().ignoredByReason["pre-handshake"], 1)

        deliver(.version(peerVersion()), context)
        deliver(.verack, context)
        let before = context.sent.count
        deliver(.ping(nonce: 0x1122_3344_5566_7788), context)
        let pong = try XCTUnwrap(context.sent.dropFirst(before).first)
        XCTAssertEqual(pong.command, Command.pong)
        guard case .pong(let nonce) = try Message.decode(pong) else { return XCTFail("not a pong: \(pong)") }
        XCTAssertEqual(nonce, 0x1122_3344_5566_7788, "the pong echoes the nonce")
        XCTAssertEqual(peers.counters().ignoredByReason["pre-handshake"], 1)
    }

    func testMoreThanTheLimitOfPreHandshakeMessagesDisconnects() throws {
        let context = inboundContext()
        handlers.onConnect?(context, .inbound)
        for _ in 0..<preHandshakeLimit {
            deliver(.getaddr, context)
        }
        XCTAssertEqual(context.disconnects, [], "up to the limit is tolerated")
        deliver(.getaddr, context)
        XCTAssertEqual(context.disconnects, [.protocolViolation])
        XCTAssertEqual(context.sentCommands, [], "nothing is answered before the handshake")
    }

    func testMalformedPingCostsMisbehaviourPoints() throws {
        let context = inboundContext()
        handlers.onConnect?(context, .inbound)
        deliver(.version(peerVersion()), context)
        deliver(.verack, context)
        handlers.handler(for: Command.ping)?(context, Frame(command: Command.ping, payload: [1, 2, 3]))
        XCTAssertEqual(context.sentCommands.last, Command.sendheaders, "a malformed ping gets no pong")
        XCTAssertFalse(peers.counters().misbehaviourByReason.isEmpty)
    }
}
