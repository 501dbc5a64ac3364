import DilithionNet
import DilithionReactor
import DilithionWire
import XCTest

/// RELIABILITY.md case 15: a peer whose reads we paused for backpressure, and whose inbox the
/// dispatcher has stopped draining, cannot dodge its deadlines. Every deadline lives in the
/// dispatcher's queue on the engine clock, not in a libevent read timeout (which would not run while
/// reading is disabled), so each one fires on time. (The partial-frame deadline is in the same queue;
/// LifecycleTests covers it.)
final class PausedPeerTests: XCTestCase {
    /// A peer that sends requests faster than it reads the replies: its outbox goes over the send cap
    /// (the dispatcher stops serving it), its inbox then fills to the receive cap (reading pauses).
    /// Returns the engine, the peer, and the clock, with the peer in both paused states.
    private func pausedPeer(
        recorder: Recorder, sendCapTimeout: Duration = .seconds(60),
        timerAfter: Duration? = nil
    ) throws -> PausedPeer {
        let reply = [UInt8](repeating: 1, count: 256 * 1024)
        let handlers = recorder.handlers { handlers in
            handlers.register("get") { context, _ in context.send(command: "data", payload: reply) }
            if let timerAfter {
                let previous = handlers.onConnect
                handlers.onConnect = { context, direction in
                    previous?(context, direction)
                    context.scheduleTimer(after: timerAfter, tag: 7)
                }
            }
            handlers.onTimer = { context, tag in
                if tag == 7 { context.disconnect(reason: .pingTimeout) }
            }
        }
        let harness = try EngineHarness(handlers: handlers) {
            $0.sendCapBytes = 256 * 1024
            $0.receiveCapBytes = 64 * 1024
            $0.sendCapTimeout = sendCapTimeout
        }
        let client = try harness.client(receiveBufferBytes: 4096)
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        // Requests padded to 4 KiB: once serving stops, 64 KiB of them fill the inbox.
        let request = FrameEncoder.encode(magic: Network.regtest.magic, command: "get", payload: [UInt8](repeating: 0, count: 4096))
        let sender = NativeThread {
            var bytes: [UInt8] = []
            for _ in 0..<200 { bytes += request }
            client.sendRaw(bytes)
        }
        // Wait until the kernel buffers are full as well: both paused and the outbox no longer moving.
        var lastSent = -1
        XCTAssertTrue(eventually {
            guard let stats = harness.engine.statistics(for: peer), stats.isSendPaused, stats.isReadPaused else { return false }
            defer { lastSent = stats.bytesSent }
            usleep(50_000)
            return stats.bytesSent == lastSent
        }, "the peer never reached the paused state")
        // From here nothing moves: reading stays paused and the dispatcher does not drain the inbox.
        let before = try XCTUnwrap(harness.engine.statistics(for: peer))
        usleep(100_000)
        let after = try XCTUnwrap(harness.engine.statistics(for: peer))
        XCTAssertTrue(after.isReadPaused && after.isSendPaused)
        XCTAssertGreaterThan(after.inboxMessages, 0)
        XCTAssertEqual(after.inboxMessages, before.inboxMessages, "the dispatcher does not drain a peer it stopped serving")
        XCTAssertEqual(after.bytesReceived, before.bytesReceived, "reading is paused")
        return PausedPeer(harness: harness, peer: peer, client: client, sender: sender)
    }

    /// The engine, the paused peer's id, its socket and the thread blocked writing to it.
    private struct PausedPeer {
        let harness: EngineHarness
        let peer: PeerID
        let client: TestClient
        let sender: NativeThread

        /// Stops the engine (which resets the connection, unblocking the writer) and joins the writer.
        func finish() {
            harness.engine.stop()
            sender.join()
            client.close()
        }
    }

    func testSendCapDeadlineFiresWhileReadingIsPaused() throws {
        let recorder = Recorder()
        let paused = try pausedPeer(recorder: recorder, sendCapTimeout: .seconds(20))
        defer { paused.finish() }
        let harness = paused.harness
        harness.clock.advance(by: .seconds(19))
        XCTAssertTrue(recorder.disconnects.isEmpty)
        harness.clock.advance(by: .seconds(2))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .sendBufferFull)
    }

    func testProtocolTimerFiresWhileReadingIsPausedAndTheInboxIsNotDrained() throws {
        let recorder = Recorder()
        // The send-cap deadline is far away; only the protocol layer's timer can end this peer.
        let paused = try pausedPeer(recorder: recorder, sendCapTimeout: .seconds(3600), timerAfter: .seconds(90))
        defer { paused.finish() }
        let harness = paused.harness
        harness.clock.advance(by: .seconds(89))
        XCTAssertTrue(recorder.disconnects.isEmpty)
        harness.clock.advance(by: .seconds(2))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.0, paused.peer)
        XCTAssertEqual(recorder.disconnects.first?.1, .pingTimeout)
    }
}
