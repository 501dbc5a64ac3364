import DilithionTestKit
import DilithionNet
import DilithionReactor
import DilithionWire
import XCTest

/// The dispatcher's optimistic send and its batches (issue 16): replies queued while nothing else
/// was pending for a peer are written by the dispatcher at the end of its batch; a batch takes
/// several messages under one lock hold and withdraws those of a peer that was disconnected or went
/// over the send cap meanwhile. Each situation is forced with a gate that holds the dispatcher, so
/// the assertions do not depend on timing: order per sender, backpressure and disconnects hold.
final class OptimisticSendTests: XCTestCase {
    private let magic = Network.regtest.magic

    /// The commands of the frames a client reads, with their sequence numbers.
    private func read(_ count: Int, from client: TestClient) -> [String] {
        (0..<count).map { _ in
            guard let frame = client.readFrame() else { return "missing" }
            return "\(frame.command)\(sequenceNumber(frame.payload))"
        }
    }

    func testAReplyGoesOutFromTheDispatcherWithoutWakingTheReactor() throws {
        for direct in [true, false] {
            let recorder = Recorder()
            let handlers = recorder.handlers { handlers in
                handlers.register("ping") { context, frame in context.send(command: "pong", payloadOf: frame) }
            }
            let harness = try EngineHarness(handlers: handlers) { $0.dispatcherWritesDirectly = direct }
            defer { harness.engine.stop() }
            let client = try harness.client()
            XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
            XCTAssertTrue(eventually { harness.engine.statistics.dispatcherIsAsleep })
            let before = harness.engine.statistics
            for round in 0..<20 {
                client.send(command: "ping", payload: sequencePayload(round))
                XCTAssertEqual(read(1, from: client), ["pong\(round)"])
            }
            XCTAssertTrue(eventually { harness.engine.statistics.messagesDispatched - before.messagesDispatched == 20 })
            let after = harness.engine.statistics
            if direct {
                XCTAssertEqual(after.dispatcherWrites - before.dispatcherWrites, 20, "one write per reply")
                XCTAssertEqual(after.reactor.writes, before.reactor.writes, "the reactor wrote nothing")
                XCTAssertEqual(after.reactor.wakeups, before.reactor.wakeups, "the reactor was never woken")
            } else {
                XCTAssertEqual(after.dispatcherWrites, 0)
                // The reactor counts a write after the call returns: the pong may be read first.
                XCTAssertTrue(eventually { harness.engine.statistics.reactor.writes - before.reactor.writes == 20 })
            }
        }
    }

    /// Sends from another thread while the dispatcher's write is pending append to the outbox and
    /// queue no flush: everything leaves in queue order, in the dispatcher's one write.
    func testSendsFromAnotherThreadWhileTheWriteIsPendingKeepQueueOrder() throws {
        let gate = Gate()
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("start") { context, _ in
                context.send(command: "a", payload: sequencePayload(0))  // nothing pending: optimistic
                gate.pass()
                context.send(command: "a", payload: sequencePayload(1))
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        client.send(command: "start")
        XCTAssertTrue(gate.waitForWaiter())
        let before = harness.engine.statistics
        for sequence in 0..<100 {
            XCTAssertTrue(harness.engine.send(command: "b", payload: sequencePayload(sequence), to: peer))
        }
        XCTAssertEqual(harness.engine.statistics(for: peer)?.outboxBytes, 101 * 28, "queued, none written yet")
        gate.open()
        let expected = ["a0"] + (0..<100).map { "b\($0)" } + ["a1"]
        XCTAssertEqual(read(expected.count, from: client), expected)
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.outboxBytes == 0 })
        let after = harness.engine.statistics
        XCTAssertEqual(after.dispatcherWrites - before.dispatcherWrites, 1)
        XCTAssertEqual(after.reactor.writes, before.reactor.writes)
    }

    /// The dispatcher writes replies while the socket takes them; a reply larger than the kernel can
    /// buffer goes to the reactor, which writes what fits and waits for writability; the replies
    /// queued after it follow it. The client reads everything, in order.
    func testWhatTheSocketDoesNotTakeGoesToTheReactorInOrder() throws {
        let framesPerRequest = 2_000  // 64 kB of 32-byte frames: within the dispatcher's write limit
        let floodFrames = 6_000  // 6.3 MB of 1 kB frames: more than the kernel buffers (send buffers grow to 4 MiB)
        let recorder = Recorder()
        let sequence = Counter()  // numbers every reply, across requests
        let handlers = recorder.handlers { handlers in
            handlers.register("start") { context, frame in
                let count = sequenceNumber(frame.payload)
                for _ in 0..<count {
                    let size = count > framesPerRequest ? 1_024 : 8
                    context.send(command: "r", payload: sequencePayload(sequence.value, padTo: size))
                    sequence.increment()
                }
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client(receiveBufferBytes: 4096)
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        var next = 0
        func readReplies(_ count: Int) -> Int {
            var read = 0
            while read < count, let frame = client.readFrame(), frame.command == "r", sequenceNumber(frame.payload) == next {
                read += 1
                next += 1
            }
            return read
        }
        // Nothing is pending: the dispatcher writes these replies itself.
        client.send(command: "start", payload: sequencePayload(framesPerRequest))
        XCTAssertEqual(readReplies(framesPerRequest), framesPerRequest)
        // The dispatcher books its write after the call returns: the replies may be read first.
        XCTAssertTrue(eventually { harness.engine.statistics.dispatcherWrites > 0 }, "the dispatcher wrote")
        // Then more than the kernel can hold, and a small request behind it, before reading any.
        client.send(command: "start", payload: sequencePayload(floodFrames))
        client.send(command: "start", payload: sequencePayload(1))
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.sent["r"]?.messages == framesPerRequest + floodFrames })
        XCTAssertGreaterThan(harness.engine.statistics(for: peer)?.outboxBytes ?? 0, 0, "the socket took only part")
        XCTAssertEqual(readReplies(floodFrames + 1), floodFrames + 1)
        XCTAssertGreaterThan(harness.engine.statistics.reactor.writeCallbacks, 0, "the reactor waited for writability")
        XCTAssertGreaterThan(harness.engine.statistics(for: peer)?.sendPauses ?? 0, 0, "the send cap was reached")
    }

    /// A handler that sends a last message and disconnects while the dispatcher's write is pending:
    /// the message still goes out (through the reactor's flush before the close).
    func testAFinalMessageBeforeADisconnectStillGoesOut() throws {
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("bye") { context, _ in
                context.send(command: "reject", payload: [1])
                context.disconnect(reason: .protocolViolation)
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let client = try harness.client()
        client.send(command: "bye")
        XCTAssertEqual(client.readFrame()?.command, "reject")
        XCTAssertTrue(client.waitForClose())
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .protocolViolation)
    }

    /// A batch holds ten requests of one peer; the first reply puts its outbox over the send cap,
    /// so the other nine go back to the front of its inbox and are served, in order, as it drains.
    func testRequestsOfAPeerThatWentOverTheSendCapAreServedLaterInOrder() throws {
        let gate = Gate()
        let served = Recorder()
        // Far over the cap, so that what the kernel buffers cannot bring it back under meanwhile.
        let reply = [UInt8](repeating: 7, count: 1024 * 1024)
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("hold") { _, _ in gate.pass() }
            handlers.register("get") { context, frame in
                served.record(context.peer, frame)
                context.send(command: "data", payload: frame.payload + reply)
            }
        }
        let harness = try EngineHarness(handlers: handlers) { $0.sendCapBytes = 256 * 1024 }
        defer { harness.engine.stop() }
        let client = try harness.client(receiveBufferBytes: 4096)
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        client.send(command: "hold")
        XCTAssertTrue(gate.waitForWaiter())
        var gets: [UInt8] = []
        for sequence in 0..<10 {
            gets += FrameEncoder.encode(magic: magic, command: "get", payload: sequencePayload(sequence))
        }
        client.sendRaw(gets)
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.inboxMessages == 10 })
        gate.open()
        // The first request is served and the peer goes over the cap before the batch ends: the
        // other nine are withdrawn from it (and served later, in order, exactly once each).
        XCTAssertTrue(eventually { harness.engine.statistics.messagesWithdrawn >= 9 })
        for sequence in 0..<10 {
            let frame = try XCTUnwrap(client.readFrame(), "reply \(sequence)")
            XCTAssertEqual(frame.command, "data")
            XCTAssertEqual(sequenceNumber(frame.payload), sequence)
        }
        XCTAssertEqual(served.messages.map { sequenceNumber($0.frame.payload) }, Array(0..<10))
    }

    /// A handler disconnects another peer whose messages are in the same batch: those messages are
    /// not delivered.
    func testMessagesOfAPeerDisconnectedDuringTheBatchAreNotDelivered() throws {
        let gate = Gate()
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("hold") { _, _ in gate.pass() }
            handlers.register("kick") { context, frame in
                context.disconnect(PeerID(rawValue: UInt64(sequenceNumber(frame.payload))), reason: .protocolViolation)
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let kicker = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let victim = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 2 })
        let victimPeer = recorder.connects[1].0
        kicker.send(command: "hold")
        XCTAssertTrue(gate.waitForWaiter())
        var notes: [UInt8] = []
        for sequence in 0..<5 {
            notes += FrameEncoder.encode(magic: magic, command: "note", payload: sequencePayload(sequence))
        }
        victim.sendRaw(notes)
        XCTAssertTrue(eventually { harness.engine.statistics(for: victimPeer)?.inboxMessages == 5 })
        kicker.send(command: "kick", payload: sequencePayload(Int(victimPeer.rawValue)))
        let kickerPeer = recorder.connects[0].0
        XCTAssertTrue(eventually { harness.engine.statistics(for: kickerPeer)?.inboxMessages == 1 })
        let before = harness.engine.statistics
        gate.open()
        // Round robin: the victim's first note, the kick, then nothing more from the victim.
        XCTAssertTrue(recorder.wait { $0.disconnects.contains { $0.0 == victimPeer } })
        XCTAssertTrue(eventually { harness.engine.statistics.dispatcherIsAsleep })
        XCTAssertEqual(recorder.messages(from: victimPeer).map { sequenceNumber($0.payload) }, [0])
        XCTAssertEqual(harness.engine.statistics.messagesWithdrawn - before.messagesWithdrawn, 4)
        XCTAssertTrue(victim.waitForClose())
    }

    /// A batch that runs out of time (here a budget of zero: every batch of more than 16 messages)
    /// hands the rest back to the inboxes: every message is still delivered once, in order per peer.
    /// (Batch sizes then shrink to 16, the floor of the adaptive size.)
    func testABatchOutOfTimeHandsTheRestBackInOrder() throws {
        let gate = Gate()
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("hold") { _, _ in gate.pass() }
        }
        let harness = try EngineHarness(handlers: handlers) { $0.dispatchBatchBudget = .zero }
        defer { harness.engine.stop() }
        let holder = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let senders = try (0..<2).map { _ in try harness.client() }
        XCTAssertTrue(recorder.wait { $0.connects.count == 3 })
        let peers = recorder.connects[1...].map(\.0)
        holder.send(command: "hold")
        XCTAssertTrue(gate.waitForWaiter())
        for sender in senders {
            var burst: [UInt8] = []
            for sequence in 0..<100 {
                burst += FrameEncoder.encode(magic: magic, command: "seq", payload: sequencePayload(sequence))
            }
            sender.sendRaw(burst)
        }
        for peer in peers {
            XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.inboxMessages == 100 })
        }
        gate.open()
        XCTAssertTrue(recorder.wait { $0.messages.count == 200 })
        for peer in peers {
            XCTAssertEqual(recorder.messages(from: peer).map { sequenceNumber($0.payload) }, Array(0..<100))
        }
        // The batch after the hold takes more than 16 messages (its size adapts from 64 down to
        // 16 as batches overrun), so at least that one was cut short.
        XCTAssertGreaterThan(harness.engine.statistics.messagesDeferred, 0)
        XCTAssertEqual(harness.engine.statistics.messagesWithdrawn, 0)
    }
}
