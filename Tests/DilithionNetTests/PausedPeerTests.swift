import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire
import XCTest

/// RELIABILITY.md case 15: a peer whose reads we paused for backpressure, and whose inbox the
/// dispatcher has stopped draining, cannot dodge its deadlines. Every deadline lives in the
/// dispatcher's queue on the engine clock, not in a libevent read timeout (which would not run while
/// reading is disabled), so each one fires on time. (The partial-frame deadline is in the same queue;
/// LifecycleTests covers it.)
final class PausedPeerTests: XCTestCase {
    /// A peer that sends requests and never reads: the first request's reply burst puts its outbox
    /// over the send cap for good (the dispatcher stops serving it), the requests behind it then fill
    /// its inbox over the receive cap (reading pauses). Returns the engine, the peer, and the clock,
    /// with the peer in both paused states, entered at clock time 0.
    ///
    /// Both states last as long as the peer does not read: the burst is larger than the send cap
    /// plus everything the kernel can buffer (``unreadableBurstBytes(overCap:)``), so the outbox
    /// cannot drain under the cap, and an inbox that is not served cannot drain at all.
    private func pausedPeer(
        recorder: Recorder, sendCapTimeout: Duration = .seconds(60),
        timerAfter: Duration? = nil
    ) throws -> PausedPeer {
        let sendCap = 256 * 1024
        let reply = [UInt8](repeating: 1, count: 256 * 1024)
        let repliesPerRequest = unreadableBurstBytes(overCap: sendCap) / reply.count + 1
        let handlers = recorder.handlers { handlers in
            handlers.register("get") { context, _ in
                for _ in 0..<repliesPerRequest { context.send(command: "data", payload: reply) }
            }
            if let timerAfter {
                let previous = handlers.onConnect
                let timedPeers = Counter()
                handlers.onConnect = { context, direction in
                    previous?(context, direction)
                    // Only the first peer (the one to be paused) gets the timer, not the probe.
                    if timedPeers.value == 0 {
                        timedPeers.increment()
                        context.scheduleTimer(after: timerAfter, tag: 7)
                    }
                }
            }
            handlers.onTimer = { context, tag in
                if tag == 7 { context.disconnect(reason: .pingTimeout) }
            }
        }
        let harness = try EngineHarness(handlers: handlers) {
            $0.sendCapBytes = sendCap
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
        XCTAssertTrue(eventually {
            guard let stats = harness.engine.statistics(for: peer) else { return false }
            return stats.isSendPaused && stats.isReadPaused
        }, "the peer never reached the paused state")
        // From here nothing moves: reading stays paused and the dispatcher does not drain the inbox.
        // The paused state can be seen while the dispatcher still holds a batch with more of this
        // peer's requests; it hands them back to the inbox (withdrawn: the peer went over the send
        // cap) before it takes another batch. So a first probe from a second peer waits out that
        // batch before `before` is taken, and a second proves a pass was made after it.
        let probe = try harness.client()
        probe.send(command: "probe")
        XCTAssertTrue(recorder.wait { $0.messages.filter { $0.frame.command == "probe" }.count == 1 })
        let before = try XCTUnwrap(harness.engine.statistics(for: peer))
        probe.send(command: "probe")
        XCTAssertTrue(recorder.wait { $0.messages.filter { $0.frame.command == "probe" }.count == 2 })
        let after = try XCTUnwrap(harness.engine.statistics(for: peer))
        XCTAssertTrue(after.isReadPaused && after.isSendPaused)
        XCTAssertGreaterThan(after.inboxMessages, 0)
        XCTAssertEqual(after.inboxMessages, before.inboxMessages, "the dispatcher does not drain a peer it stopped serving")
        XCTAssertEqual(after.bytesReceived, before.bytesReceived, "reading is paused")
        XCTAssertEqual(after.sendPauses, 1, "the outbox never went back under the cap")
        return PausedPeer(harness: harness, recorder: recorder, peer: peer, client: client, probe: probe, sender: sender)
    }

    /// The engine, the paused peer's id, its socket and the thread blocked writing to it.
    private struct PausedPeer {
        let harness: EngineHarness
        let recorder: Recorder
        let peer: PeerID
        let client: TestClient
        /// A second peer whose messages show that the dispatcher ran after a clock change.
        let probe: TestClient
        let sender: NativeThread

        /// Advances the clock, then waits until the dispatcher handled a message sent after the
        /// advance: every deadline that was due by then has been handled too.
        func advance(by duration: Duration) {
            harness.clock.advance(by: duration)
            let probesBefore = recorder.messages.filter { $0.frame.command == "probe" }.count
            probe.send(command: "probe")
            XCTAssertTrue(recorder.wait { $0.messages.filter { $0.frame.command == "probe" }.count == probesBefore + 1 })
        }

        /// Stops the engine (which resets the connection, unblocking the writer) and joins the writer.
        func finish() {
            harness.engine.stop()
            sender.join()
            client.close()
            probe.close()
        }
    }

    func testSendCapDeadlineFiresWhileReadingIsPaused() throws {
        let recorder = Recorder()
        let paused = try pausedPeer(recorder: recorder, sendCapTimeout: .seconds(20))
        defer { paused.finish() }
        paused.advance(by: .seconds(19))
        XCTAssertTrue(recorder.disconnects.isEmpty)
        paused.advance(by: .seconds(2))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.1, .sendBufferFull)
    }

    func testProtocolTimerFiresWhileReadingIsPausedAndTheInboxIsNotDrained() throws {
        let recorder = Recorder()
        // The send-cap deadline is far away; only the protocol layer's timer can end this peer.
        let paused = try pausedPeer(recorder: recorder, sendCapTimeout: .seconds(3600), timerAfter: .seconds(90))
        defer { paused.finish() }
        paused.advance(by: .seconds(89))
        XCTAssertTrue(recorder.disconnects.isEmpty)
        paused.advance(by: .seconds(2))
        XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 })
        XCTAssertEqual(recorder.disconnects.first?.0, paused.peer)
        XCTAssertEqual(recorder.disconnects.first?.1, .pingTimeout)
    }
}
