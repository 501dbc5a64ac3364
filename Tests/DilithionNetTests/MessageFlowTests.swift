import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire
import XCTest

/// Ordering and wakeup behaviour of the receive and send paths, over loopback sockets.
final class MessageFlowTests: XCTestCase {
    func testMessagesFromOnePeerReachTheHandlerInFIFOOrder() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers())
        defer { harness.engine.stop() }
        let client = try harness.client()
        let count = 2_000
        var burst: [UInt8] = []
        for sequence in 0..<count {
            burst += FrameEncoder.encode(magic: Network.regtest.magic, command: "seq", payload: sequencePayload(sequence))
        }
        client.sendRaw(burst)
        XCTAssertTrue(recorder.wait { $0.messages.count == count })
        XCTAssertEqual(recorder.messages.map { sequenceNumber($0.frame.payload) }, Array(0..<count))
        let peer = try XCTUnwrap(recorder.messages.first?.peer)
        let stats = try XCTUnwrap(harness.engine.statistics(for: peer))
        XCTAssertEqual(stats.received["seq"]?.messages, count)
        XCTAssertEqual(stats.received["seq"]?.bytes, count * 28)
        XCTAssertEqual(stats.bytesReceived, count * 28)
    }

    func testRepliesAreWrittenInTheOrderHandlersQueuedThem() throws {
        let replies = 3_000
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("start") { context, _ in
                for sequence in 0..<replies {
                    context.send(command: "reply", payload: sequencePayload(sequence, padTo: 1 + sequence % 300))
                }
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client()
        client.send(command: "start")
        for expected in 0..<replies {
            let frame = try XCTUnwrap(client.readFrame(), "reply \(expected) missing")
            XCTAssertEqual(frame.command, "reply")
            XCTAssertEqual(sequenceNumber(frame.payload), expected)
        }
        let peer = try XCTUnwrap(harness.engine.peerIDs.first)
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.outboxBytes == 0 })
        XCTAssertEqual(harness.engine.statistics(for: peer)?.sent["reply"]?.messages, replies)
    }

    /// A received message reaches its handler, and the handler's reply reaches the socket, with no
    /// timer involved: the clock is manual and never advanced, and the reactor ran no timer callback.
    func testMessagesMoveBothWaysByWakeupsAlone() throws {
        let handlers = Recorder().handlers { handlers in
            handlers.register("ping") { context, frame in
                context.send(command: "pong", payload: frame.payload)
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client()
        for round in 0..<200 {
            client.send(command: "ping", payload: sequencePayload(round))
            let pong = try XCTUnwrap(client.readFrame(), "pong \(round) missing")
            XCTAssertEqual(pong.command, "pong")
            XCTAssertEqual(sequenceNumber(pong.payload), round)
        }
        // The dispatcher counts a pass's messages after their handlers ran, so the last pong can
        // reach the client a moment before the count does.
        XCTAssertTrue(eventually { harness.engine.statistics.messagesDispatched == 200 })
        let statistics = harness.engine.statistics
        XCTAssertEqual(statistics.reactor.timerCallbacks, 0)
        XCTAssertEqual(statistics.messagesDispatched, 200)
        // Exactly one pass per ping (each waits for the previous pong, and a pass takes one message
        // per peer), plus one for the connect event unless it shared the first ping's pass: the
        // dispatcher ran when woken and never on its own.
        XCTAssertGreaterThanOrEqual(statistics.dispatcherPasses, 200)
        XCTAssertLessThanOrEqual(statistics.dispatcherPasses, 200 + 1)
    }

    /// Sends from a non-dispatcher thread are delivered in order per peer, and while the reactor is
    /// busy they cost it one wakeup in all: a flush is queued only when a peer's outbox goes from
    /// empty to non-empty, and `wakeUp()` calls made before the reactor runs collapse into one.
    ///
    /// The reactor is held busy deterministically: a `park` request's reply goes over a tiny send
    /// cap, and when the reactor has written it, the engine calls the send-cap observer on the
    /// reactor thread, which blocks on a gate until every send is queued.
    func testSendsFromAnotherThreadAreOrderedAndWakeupsCoalesce() throws {
        let recorder = Recorder()
        let parkGate = Gate()
        let handlers = recorder.handlers { handlers in
            handlers.register("park") { context, _ in context.send(command: "parked", payload: [UInt8](repeating: 0, count: 2048)) }
        }
        let harness = try EngineHarness(handlers: handlers) { $0.sendCapBytes = 1024 }
        defer { harness.engine.stop() }
        let clients = try (0..<4).map { _ in try harness.client() }
        XCTAssertTrue(recorder.wait { $0.connects.count == clients.count })
        let peers = recorder.connects.map(\.0)
        let parking = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == clients.count + 1 })
        let parkingPeer = recorder.connects[clients.count].0
        harness.engine.addSendCapObserver { peer in
            if peer == parkingPeer { parkGate.pass() }
        }
        parking.send(command: "park")
        XCTAssertTrue(parkGate.waitForWaiter(), "the reactor thread never reached the gate")
        let wakeupsBefore = harness.engine.statistics.reactor.wakeups
        let perPeer = 5_000
        let sender = NativeThread {
            for sequence in 0..<perPeer {
                for peer in peers {
                    harness.engine.send(command: "seq", payload: sequencePayload(sequence), to: peer)
                }
            }
        }
        sender.join()
        parkGate.open()
        var received: [[Int]] = Array(repeating: [], count: clients.count)
        for (index, client) in clients.enumerated() {
            while received[index].count < perPeer, let frame = client.readFrame() {
                received[index].append(sequenceNumber(frame.payload))
            }
        }
        for sequences in received {
            XCTAssertEqual(sequences, Array(0..<perPeer))
        }
        XCTAssertEqual(parking.readFrame()?.command, "parked")
        let wakeups = harness.engine.statistics.reactor.wakeups - wakeupsBefore
        XCTAssertEqual(wakeups, 1, "\(perPeer * peers.count) sends while the reactor was busy")
    }

    /// BUG #134 regression: the C++ node's polling loop lost `verack` when it arrived after `version`
    /// had been processed and the loop had gone back to sleep. Here the second message arrives only
    /// once the first has been handled and the dispatcher is asleep again; it must be handled too,
    /// every time, on both sides.
    func testHandshakeWhoseSecondMessageArrivesLateAlwaysCompletes() throws {
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("version") { context, frame in
                recorder.record(context.peer, frame)
                context.send(command: "version", payload: [1])
                context.send(command: "verack", payload: [])
            }
            handlers.register("verack") { context, frame in
                recorder.record(context.peer, frame)
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        for trial in 0..<50 {
            let client = try harness.client()
            client.send(command: "version", payload: [1])
            XCTAssertTrue(recorder.wait { $0.messages.filter { $0.frame.command == "version" }.count == trial + 1 })
            // Our side answered version + verack; the remote side completes on reading both.
            XCTAssertEqual(client.readFrame()?.command, "version")
            XCTAssertEqual(client.readFrame()?.command, "verack")
            // Wait until the dispatcher is idle again before the late verack arrives.
            XCTAssertTrue(eventually { harness.engine.statistics.dispatcherIsAsleep })
            client.send(command: "verack")
            XCTAssertTrue(
                recorder.wait { $0.messages.filter { $0.frame.command == "verack" }.count == trial + 1 },
                "late verack of trial \(trial) was never handled")
            client.close()
        }
    }

    /// The same exchange between two engines: A dials B, A sends version on connect; each side
    /// completes when it has seen both version and verack.
    func testTwoEnginesCompleteTheHandshakeOnBothSides() throws {
        let aRecorder = Recorder()
        let bRecorder = Recorder()
        func handshakeHandlers(_ recorder: Recorder, initiator: Bool) -> MessageHandlers {
            recorder.handlers { handlers in
                handlers.onConnect = { context, direction in
                    recorder.recordConnect(context.peer, direction)
                    if initiator { context.send(command: "version", payload: [2]) }
                }
                handlers.register("version") { context, frame in
                    recorder.record(context.peer, frame)
                    if !initiator { context.send(command: "version", payload: [2]) }
                    context.send(command: "verack", payload: [])
                }
                handlers.register("verack") { context, frame in
                    recorder.record(context.peer, frame)
                }
            }
        }
        let b = try EngineHarness(handlers: handshakeHandlers(bRecorder, initiator: false))
        defer { b.engine.stop() }
        let a = try EngineHarness(handlers: handshakeHandlers(aRecorder, initiator: true), listen: [])
        defer { a.engine.stop() }
        let trials = 20
        for _ in 0..<trials {
            XCTAssertNotNil(a.engine.connect(to: b.address))
        }
        func complete(_ state: Recorder.State) -> Bool {
            let peers = Set(state.connects.map(\.0))
            return peers.count == trials && peers.allSatisfy { peer in
                let commands = Set(state.messages.filter { $0.peer == peer }.map(\.frame.command))
                return commands == ["version", "verack"]
            }
        }
        XCTAssertTrue(aRecorder.wait(complete), "outbound side did not complete")
        XCTAssertTrue(bRecorder.wait(complete), "inbound side did not complete")
        XCTAssertTrue(aRecorder.connects.allSatisfy { $0.1 == .outbound })
        XCTAssertTrue(bRecorder.connects.allSatisfy { $0.1 == .inbound })
    }
}
