import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire
import XCTest

/// Connect, disconnect, stop and interrupt: every disconnect has exactly one reason, logged once.
final class LifecycleTests: XCTestCase {
    func testLifecycleTransitionsAreTheDocumentedOnes() {
        let all: [PeerLifecycle] = [.connecting, .connected, .closing, .closed]
        var allowed: [String] = []
        for from in all {
            for to in all where from.canTransition(to: to) {
                allowed.append("\(from)→\(to)")
            }
        }
        XCTAssertEqual(allowed, ["connecting→connected", "connecting→closing", "connected→closing", "closing→closed"])
    }

    func testRemoteCloseIsOneDisconnectWithReasonPeerClosedLoggedOnce() throws {
        let recorder = Recorder()
        let capture = LogCapture()
        let harness = try EngineHarness(handlers: recorder.handlers(), logger: capture.logger)
        defer { harness.engine.stop() }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        XCTAssertEqual(harness.engine.statistics(for: peer)?.lifecycle, .connected)
        client.close()
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .peerClosed)
        XCTAssertNil(harness.engine.statistics(for: peer))
        XCTAssertEqual(harness.engine.statistics.disconnectCount(.peerClosed), 1)
        let lines = capture.lines.filter { $0.message == "disconnect" }
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines.first?.metadata["reason"], "peer-closed")
        XCTAssertEqual(lines.first?.metadata["peer"], "\(peer.rawValue)")
    }

    func testLocalDisconnectWritesTheQueuedReplyThenCloses() throws {
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("bye") { context, _ in
                context.send(command: "goodbye", payload: [7])
                context.disconnect(reason: .localRequest)
                // A second request is ignored: the first reason wins.
                context.disconnect(reason: .protocolViolation)
                XCTAssertFalse(context.send(command: "late", payload: []))
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client()
        client.send(command: "bye")
        XCTAssertEqual(client.readFrame()?.command, "goodbye")
        XCTAssertTrue(client.waitForClose())
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.map(\.1), [.localRequest])
        let statistics = harness.engine.statistics
        XCTAssertEqual(statistics.disconnectCount(.localRequest), 1)
        XCTAssertEqual(statistics.disconnectCount(.protocolViolation), 0)
        XCTAssertEqual(statistics.sendsToUnavailablePeers, 1)
    }

    func testOutboundPeerGoesConnectingThenConnectedThenClosed() throws {
        let serverRecorder = Recorder()
        let server = try EngineHarness(handlers: serverRecorder.handlers())
        defer { server.engine.stop() }
        let recorder = Recorder()
        let dialer = try EngineHarness(handlers: recorder.handlers(), listen: [])
        defer { dialer.engine.stop() }
        let peer = try XCTUnwrap(dialer.engine.connect(to: server.address))
        let first = dialer.engine.statistics(for: peer)?.lifecycle
        XCTAssertTrue(first == .connecting || first == .connected)
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        XCTAssertEqual(recorder.connects.first?.0, peer)
        XCTAssertEqual(recorder.connects.first?.1, .outbound)
        XCTAssertEqual(dialer.engine.statistics(for: peer)?.lifecycle, .connected)
        XCTAssertNotNil(dialer.engine.statistics(for: peer)?.connectedAt)
        dialer.engine.disconnect(peer, reason: .localRequest)
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .localRequest)
        XCTAssertTrue(serverRecorder.wait { $0.disconnects.first?.1 == .peerClosed })
    }

    func testConnectToAClosedPortFailsWithConnectFailed() throws {
        // Bind a port, then close it, so nothing listens there.
        let probe = try EngineHarness(handlers: MessageHandlers())
        let closedAddress = probe.address
        probe.engine.stop()
        let recorder = Recorder()
        let dialer = try EngineHarness(handlers: recorder.handlers(), listen: [])
        defer { dialer.engine.stop() }
        let peer = try XCTUnwrap(dialer.engine.connect(to: closedAddress))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.0, peer)
        XCTAssertEqual(recorder.disconnects.first?.1, .connectFailed)
        XCTAssertTrue(recorder.connects.isEmpty, "a failed connect never reports connected")
    }

    /// A listener whose accept queue is full silently drops SYNs, so the connect hangs; the manual
    /// clock moves past the connect timeout and the peer is dropped with `connect-timeout`.
    func testConnectThatNeverCompletesTimesOutOnTheInjectedClock() throws {
        let blackHole = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(blackHole) }
        let bound = SocketAddress.ipv4Loopback().withSockAddr { bind(blackHole, $0, $1) }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(blackHole, 0), 0)
        let port = try XCTUnwrap(localPort(blackHole))
        let target = SocketAddress.ipv4Loopback(port: port)
        // Fill the accept queue (backlog 0 holds one connection; it is never accepted).
        let filler = try TestClient(connectingTo: target)

        let recorder = Recorder()
        let dialer = try EngineHarness(handlers: recorder.handlers(), listen: []) { $0.connectTimeout = .seconds(5) }
        defer { dialer.engine.stop() }
        let peer = try XCTUnwrap(dialer.engine.connect(to: target))
        XCTAssertTrue(eventually { dialer.engine.statistics.reactor.openConnections == 1 })
        XCTAssertEqual(dialer.engine.statistics(for: peer)?.lifecycle, .connecting)
        dialer.clock.advance(by: .seconds(4))
        XCTAssertTrue(recorder.disconnects.isEmpty)
        dialer.clock.advance(by: .seconds(2))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .connectTimeout)
        XCTAssertEqual(dialer.engine.statistics.reactor.openConnections, 0)
        withExtendedLifetime(filler) {}
    }

    func testPartialFrameTimesOutOnTheInjectedClock() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers()) { $0.partialFrameTimeout = .seconds(30) }
        defer { harness.engine.stop() }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        let frame = FrameEncoder.encode(magic: Network.regtest.magic, command: "slow", payload: [1, 2, 3])
        client.sendRaw(Array(frame.prefix(10)))
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.bytesReceived == 10 })
        harness.clock.advance(by: .seconds(29))
        client.sendRaw(Array(frame[10..<20]))  // progress without completing a frame does not reset it
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.bytesReceived == 20 })
        XCTAssertTrue(recorder.disconnects.isEmpty)
        harness.clock.advance(by: .seconds(2))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .partialFrameTimeout)
        XCTAssertTrue(client.waitForClose())
    }

    /// A peer has one partial-frame deadline at a time: when it comes due for a partial frame that
    /// completed meanwhile, it re-arms for the current one, which still times out `timeout` after it
    /// began (not earlier, not never).
    func testLaterPartialFrameTimesOutAfterItsOwnStart() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers()) { $0.partialFrameTimeout = .seconds(30) }
        defer { harness.engine.stop() }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        let probe = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 2 })
        let frame = FrameEncoder.encode(magic: Network.regtest.magic, command: "slow", payload: [1, 2, 3])
        client.sendRaw(Array(frame.prefix(10)))  // partial frame 1 begins at t = 0
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.bytesReceived == 10 })
        harness.clock.advance(by: .seconds(20))
        client.sendRaw(Array(frame[10...]))  // frame 1 completes: nothing is partial any more
        XCTAssertTrue(recorder.wait { $0.messages.count == 1 })
        client.sendRaw(Array(frame.prefix(10)))  // partial frame 2 begins at t = 20
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.bytesReceived == frame.count + 10 })
        harness.clock.advance(by: .seconds(11))  // t = 31: frame 1's deadline is due, frame 2's is not
        // The probe's message is handled after every deadline that was due before it was sent.
        probe.send(command: "probe", payload: [])
        XCTAssertTrue(recorder.wait { $0.messages.count == 2 })
        XCTAssertTrue(recorder.disconnects.isEmpty)
        harness.clock.advance(by: .seconds(18))  // t = 49
        probe.send(command: "probe", payload: [])
        XCTAssertTrue(recorder.wait { $0.messages.count == 3 })
        XCTAssertTrue(recorder.disconnects.isEmpty)
        harness.clock.advance(by: .seconds(2))  // t = 51: frame 2 has been partial for 31 s
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .partialFrameTimeout)
        XCTAssertTrue(client.waitForClose())
    }

    func testBadMagicDisconnectsAndBadChecksumOnlyDropsTheFrame() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers())
        defer { harness.engine.stop() }
        let honest = try harness.client()
        var corrupted = FrameEncoder.encode(magic: Network.regtest.magic, command: "x", payload: [1, 2, 3, 4])
        corrupted[corrupted.count - 1] ^= 0xFF
        honest.sendRaw(corrupted)
        honest.send(command: "after", payload: [])
        XCTAssertTrue(recorder.wait { $0.messages.count == 1 })
        XCTAssertEqual(recorder.messages.first?.frame.command, "after")
        XCTAssertEqual(harness.engine.statistics.droppedFrames, 1)

        let attacker = try harness.client()
        attacker.sendRaw(FrameEncoder.encode(magic: Network.mainnet.magic, command: "ping", payload: []))
        XCTAssertTrue(attacker.waitForClose())
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .badMagic)
        XCTAssertEqual(harness.engine.peerIDs.count, 1, "the honest peer is unaffected")
    }

    /// `getnettotals` and the traffic counters: a peer's bytes stay counted after it leaves.
    func testTrafficTotalsKeepWhatDepartedPeersExchanged() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers())
        defer { harness.engine.stop() }
        let client = try harness.client()
        for _ in 0..<3 { client.send(command: "x", payload: [UInt8](repeating: 7, count: 10)) }
        XCTAssertTrue(recorder.wait { $0.messages.count == 3 })
        let live = harness.engine.trafficTotals
        client.close()
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        let totals = harness.engine.trafficTotals
        XCTAssertEqual(totals.received["x"], live.received["x"])
        XCTAssertEqual(totals.received["x"]?.messages, 3)
        XCTAssertEqual(totals.bytesReceived, 3 * (Limits.frameHeaderSize + 10))
        XCTAssertTrue(harness.engine.peerIDs.isEmpty)
    }

    /// Dropped frames reach `onFramesDropped` on the dispatcher, counted, at most one event per peer
    /// queued at a time (a flood of bad frames coalesces); the connection and later frames survive.
    func testDroppedFramesAreReportedToTheHandlersAndCoalesced() throws {
        let recorder = Recorder()
        let reported = Counter()
        let handlers = recorder.handlers { handlers in
            handlers.onFramesDropped = { _, error, count in
                if error.reasonCode == "bad-checksum" { reported.add(count) }
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client()
        var corrupted = FrameEncoder.encode(magic: Network.regtest.magic, command: "x", payload: [1, 2, 3, 4])
        corrupted[corrupted.count - 1] ^= 0xFF
        var burst: [UInt8] = []
        for _ in 0..<1_000 { burst += corrupted }
        client.sendRaw(burst)
        client.send(command: "after", payload: [])
        XCTAssertTrue(recorder.wait { $0.messages.count == 1 })
        XCTAssertTrue(eventually { reported.value == 1_000 })
        XCTAssertEqual(harness.engine.statistics.droppedFrames, 1_000)
        XCTAssertEqual(harness.engine.statistics.frameErrors, ["bad-checksum": 1_000])
        XCTAssertEqual(harness.engine.peerIDs.count, 1)
    }

    /// RELIABILITY.md case 4 over loopback: each malformed command field closes its own connection
    /// as `bad-command` and is counted under the rule it broke; a well-formed unknown name reaches the
    /// handlers (the node ignores and counts it) and its peer stays.
    func testEachKindOfBadCommandFieldDisconnectsAndIsCountedByKind() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers())
        defer { harness.engine.stop() }
        func frame(field: [UInt8]) -> [UInt8] {
            var bytes = FrameEncoder.encode(magic: Network.regtest.magic, command: "ping", payload: [])
            bytes.replaceSubrange(4..<16, with: field)
            return bytes
        }
        func padded(_ text: [UInt8]) -> [UInt8] { text + [UInt8](repeating: 0, count: 12 - text.count) }
        let malformed: [(field: [UInt8], kind: String)] = [
            (padded([0x70, 0x69, 0xC3, 0xA9]), "bad-command/non-printable"),
            (padded([0x70, 0x69, 0x0A, 0x67]), "bad-command/non-printable"),
            (padded([0x70, 0x69, 0x6E, 0x67, 0, 0x78]), "bad-command/text-after-nul"),
            (Array("abcdefghijkl".utf8), "bad-command/unterminated"),
            (padded([]), "bad-command/empty"),
        ]
        let unknown = try harness.client()
        unknown.send(command: "zzunknown", payload: [1, 2, 3])
        XCTAssertTrue(recorder.wait { $0.messages.count == 1 })
        for (index, testCase) in malformed.enumerated() {
            let attacker = try harness.client()
            attacker.sendRaw(frame(field: testCase.field))
            XCTAssertTrue(attacker.waitForClose(), testCase.kind)
            XCTAssertTrue(recorder.wait { $0.disconnects.count == index + 1 }, testCase.kind)
            XCTAssertEqual(recorder.disconnects.last?.1, .badCommand, testCase.kind)
        }
        var expected: [String: Int] = [:]
        for testCase in malformed { expected[testCase.kind, default: 0] += 1 }
        let statistics = harness.engine.statistics
        XCTAssertEqual(statistics.frameErrors, expected)
        XCTAssertEqual(statistics.disconnectCount(.badCommand), malformed.count)
        XCTAssertEqual(recorder.messages.map(\.frame.command), ["zzunknown"], "no malformed frame reached a handler")
        XCTAssertEqual(harness.engine.peerIDs.count, 1, "the peer that sent an unknown name stays connected")
    }

    func testListensOnIPv4AndIPv6() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers(), listen: [.ipv4Loopback(), .ipv6Loopback()])
        defer { harness.engine.stop() }
        let addresses = harness.engine.listeningAddresses
        XCTAssertEqual(addresses.map(\.family), [.ipv4, .ipv6])
        XCTAssertTrue(addresses.allSatisfy { $0.port != 0 })
        let clients = try addresses.map { try TestClient(connectingTo: $0) }
        for (index, client) in clients.enumerated() {
            client.send(command: "hello", payload: [UInt8(index)])
        }
        XCTAssertTrue(recorder.wait { $0.messages.count == 2 })
        let remotes = harness.engine.allPeerStatistics.map(\.remoteAddress.family)
        XCTAssertEqual(Set(remotes), [.ipv4, .ipv6])
    }

    func testStopDrainsQueuedMessagesClosesEverythingAndIsIdempotent() throws {
        let descriptorsBefore = openDescriptorCount()
        try stopScenario()
        XCTAssertEqual(openDescriptorCount(), descriptorsBefore, "the engine leaked descriptors")
    }

    private func stopScenario() throws {
        let recorder = Recorder()
        let gate = Gate()
        let handlers = recorder.handlers { handlers in
            handlers.register("block") { context, frame in
                gate.pass()
                recorder.record(context.peer, frame)
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        let engine = harness.engine
        let clients = try (0..<3).map { _ in try harness.client() }
        clients[0].send(command: "block")
        XCTAssertTrue(gate.waitForWaiter())
        for client in clients {
            for sequence in 0..<10 { client.send(command: "queued", payload: sequencePayload(sequence)) }
        }
        XCTAssertTrue(eventually { engine.allPeerStatistics.reduce(0) { $0 + $1.inboxMessages } == 30 })
        let stopper = NativeThread { engine.stop() }
        XCTAssertTrue(eventually { engine.phaseNow == .draining })
        gate.open()
        stopper.join()
        engine.stop()  // idempotent
        XCTAssertEqual(engine.phaseNow, .stopped)
        XCTAssertEqual(recorder.messages.count, 31, "queued messages were drained before closing")
        XCTAssertEqual(recorder.disconnects.map(\.1), [.shutdown, .shutdown, .shutdown])
        XCTAssertEqual(engine.statistics.disconnectCount(.shutdown), 3)
        XCTAssertEqual(engine.statistics.reactor.openConnections, 0)
        for client in clients { XCTAssertTrue(client.waitForClose()) }
        clients.forEach { $0.close() }
    }

    func testInterruptThenStopClosesWithoutDraining() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers())
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        harness.engine.interrupt()
        XCTAssertTrue(client.waitForClose())
        harness.engine.stop()
        XCTAssertEqual(recorder.disconnects.map(\.1), [.shutdown])
        XCTAssertNil(harness.engine.connect(to: harness.address), "a stopped engine refuses new work")
    }
}

private func localPort(_ fd: Int32) -> UInt16? {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return result == 0 ? UInt16(bigEndian: address.sin_port) : nil
}
