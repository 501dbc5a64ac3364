import DilithionNet
import DilithionTestKit
import DilithionWire
import XCTest

/// The dispatcher's poll before it sleeps (``EngineConfiguration/dispatcherPoll``, issue 16): work
/// queued while it polls ends the poll (no condition-variable signal), nothing is lost, and it
/// polls only after it handled something. The poll lasts an hour here, so each situation is
/// reached by events (the counters), never by how long anything takes: a poll that could end by
/// time during the test would let the message arrive while the dispatcher sleeps instead.
final class DispatcherPollTests: XCTestCase {
    private let magic = Network.regtest.magic

    func testAMessageQueuedWhileTheDispatcherPollsEndsThePollAndIsDelivered() throws {
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("ping") { context, frame in context.send(command: "pong", payloadOf: frame) }
        }
        let harness = try EngineHarness(handlers: handlers) { $0.dispatcherPoll = .seconds(3600) }
        defer { harness.engine.stop() }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        // A first round trip: once its reply is here, the reactor is done with the connection
        // (accepting it may end a poll that started on the connection's event, with nothing to do).
        client.send(command: "ping", payload: sequencePayload(-1))
        XCTAssertEqual(client.readFrame()?.command, "pong")
        for round in 0..<20 {
            // After each handled message the dispatcher polls: wait until it does, then queue the
            // next message.
            XCTAssertTrue(eventually { harness.engine.statistics.dispatcherIsPolling })
            let before = harness.engine.statistics
            client.send(command: "ping", payload: sequencePayload(round))
            let reply = client.readFrame()
            XCTAssertEqual(reply?.command, "pong")
            XCTAssertEqual(reply.map { sequenceNumber($0.payload) }, round)
            let after = harness.engine.statistics
            XCTAssertEqual(after.dispatcherPollHits - before.dispatcherPollHits, 1, "the message ended the poll")
            XCTAssertEqual(after.dispatcherSleeps, before.dispatcherSleeps, "the dispatcher never slept")
        }
    }

    func testAnIdleDispatcherSleepsWithoutPolling() throws {
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("ping") { context, frame in context.send(command: "pong", payloadOf: frame) }
        }
        // No poll: the dispatcher sleeps at once, on the condition variable, after each batch.
        let quiet = try EngineHarness(handlers: handlers) { $0.dispatcherPoll = .zero }
        defer { quiet.engine.stop() }
        let client = try quiet.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        for round in 0..<5 {
            client.send(command: "ping", payload: sequencePayload(round))
            XCTAssertEqual(client.readFrame()?.command, "pong")
        }
        XCTAssertTrue(eventually { quiet.engine.statistics.dispatcherIsAsleep })
        XCTAssertEqual(quiet.engine.statistics.dispatcherPolls, 0)

        // With a poll: an engine that never handled a message or a connection sleeps without polling.
        let idle = try EngineHarness(handlers: recorder.handlers()) { $0.dispatcherPoll = .seconds(3600) }
        defer { idle.engine.stop() }
        XCTAssertTrue(eventually { idle.engine.statistics.dispatcherIsAsleep })
        XCTAssertEqual(idle.engine.statistics.dispatcherPolls, 0)
    }

    func testStopEndsAPoll() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers()) { $0.dispatcherPoll = .seconds(3600) }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        client.send(command: "ping")
        XCTAssertTrue(recorder.wait { $0.messages.count == 1 })
        XCTAssertTrue(eventually { harness.engine.statistics.dispatcherIsPolling })
        // The dispatcher polls for an hour unless something ends it: stop must.
        harness.engine.stop()
        XCTAssertEqual(harness.engine.statistics.phase, .stopped)
    }
}
