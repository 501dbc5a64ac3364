import DilithionNet
import DilithionTestKit
import XCTest

/// The send-cap deadline on a paused peer, checked the same way for every kind of send: the manual
/// clock is advanced to just before the send-cap timeout (20 s in these tests; the peer must still
/// be connected, in its first pause) and then past it (it must be disconnected `send-buffer-full`).
/// A second peer's message, sent after each advance, is handled only after every deadline that was
/// due, so each check sees the dispatcher's decision, not a race with it.
func checkSendCapDeadline(
    harness: EngineHarness, recorder: Recorder, peer: PeerID, file: StaticString = #filePath, line: UInt = #line
) throws {
    let probe = try harness.client()
    func advance(by duration: Duration, probes: Int) {
        harness.clock.advance(by: duration)
        probe.send(command: "probe")
        XCTAssertTrue(
            recorder.wait { $0.messages.filter { $0.frame.command == "probe" }.count == probes }, file: file, line: line)
    }
    advance(by: .seconds(19), probes: 1)
    XCTAssertTrue(recorder.disconnects.isEmpty, file: file, line: line)
    XCTAssertEqual(
        harness.engine.statistics(for: peer)?.sendPauses, 1, "the outbox never went back under the cap", file: file,
        line: line)
    advance(by: .seconds(2), probes: 2)
    XCTAssertTrue(recorder.wait { $0.disconnects.count == 1 }, file: file, line: line)
    XCTAssertEqual(recorder.disconnects.first?.0, peer, file: file, line: line)
    XCTAssertEqual(recorder.disconnects.first?.1, .sendBufferFull, file: file, line: line)
    XCTAssertEqual(harness.engine.statistics.disconnectCount(.sendBufferFull), 1, file: file, line: line)
}
