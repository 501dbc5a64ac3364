import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire
import XCTest

/// `Engine.send(_: EncodedFrame, to:)` (issue 16): a frame built whole by the caller (a stored block
/// behind its header) goes to the socket from the caller's array. What reaches the wire is exactly
/// those bytes, in queue order with ordinary sends, under the checksum the caller wrote (the engine
/// hashes nothing), from the dispatcher's optimistic write or the reactor; the send cap holds.
final class FramedSendTests: XCTestCase {
    private let magic = Network.regtest.magic

    /// Lets handlers reach the engine they run in (set before any peer connects).
    private final class EngineSlot: @unchecked Sendable {
        var engine: Engine?
    }

    private func frame(_ command: String, _ payload: [UInt8], checksum: UInt32? = nil) -> EncodedFrame {
        payload.withUnsafeBytes {
            EncodedFrame(magic: magic, command: command, payload: $0, checksum: checksum ?? SHA3.checksum($0))
        }
    }

    /// A small finished frame (written by the dispatcher at the end of its batch when nothing else
    /// is pending), a large one (handed to the reactor) and ordinary sends around them, then a
    /// finished frame queued from another thread: the bytes read are those frames back to back.
    func testFinishedFramesReachTheWireByteForByteInQueueOrder() throws {
        for direct in [true, false] {
            let slot = EngineSlot()
            let small = frame("blk", sequencePayload(1, padTo: 100))
            let large = frame("blk", sequencePayload(2, padTo: 200 * 1024))
            let later = frame("blk", sequencePayload(4, padTo: 3000))
            let recorder = Recorder()
            let handlers = recorder.handlers { handlers in
                handlers.register("get") { context, _ in
                    context.send(command: "first", payload: sequencePayload(0))
                    slot.engine?.send(small, to: context.peer)
                    slot.engine?.send(large, to: context.peer)
                    context.send(command: "last", payload: sequencePayload(3))
                }
            }
            let harness = try EngineHarness(handlers: handlers) { $0.dispatcherWritesDirectly = direct }
            defer { harness.engine.stop() }
            slot.engine = harness.engine
            let client = try harness.client()
            XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
            let peer = recorder.connects[0].0
            client.send(command: "get")
            let expected = FrameEncoder.encode(magic: magic, command: "first", payload: sequencePayload(0))
                + small.bytes + large.bytes
                + FrameEncoder.encode(magic: magic, command: "last", payload: sequencePayload(3))
            XCTAssertEqual(client.readRaw(count: expected.count), expected, "dispatcherWritesDirectly \(direct)")
            XCTAssertTrue(harness.engine.send(later, to: peer))
            XCTAssertEqual(client.readRaw(count: later.bytes.count), later.bytes)
            let sent = try XCTUnwrap(harness.engine.statistics(for: peer)).sent["blk"]
            XCTAssertEqual(sent?.messages, 3)
            XCTAssertEqual(sent?.bytes, small.bytes.count + large.bytes.count + later.bytes.count)
        }
    }

    /// The header carries the caller's checksum as it is: the engine neither hashes nor rewrites
    /// it (a wrong one would be the receiver's to reject, which the decoder below does).
    func testTheHeaderCarriesTheCallersChecksumUntouched() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers { _ in })
        defer { harness.engine.stop() }
        let client = try harness.client()
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        let payload = sequencePayload(7, padTo: 64)
        let right = frame("blk", payload)
        let wrong = frame("blk", payload, checksum: ~SHA3.checksum(payload))
        XCTAssertTrue(harness.engine.send(right, to: peer))
        XCTAssertTrue(harness.engine.send(wrong, to: peer))
        let raw = try XCTUnwrap(client.readRaw(count: right.bytes.count + wrong.bytes.count))
        XCTAssertEqual(Array(raw[..<right.bytes.count]), right.bytes)
        XCTAssertEqual(Array(raw[right.bytes.count...]), wrong.bytes)
        var decoder = FrameDecoder(magic: magic)
        raw.withUnsafeBytes { decoder.append($0) }
        let decoded = try XCTUnwrap(try decoder.nextFrame())
        XCTAssertEqual(decoded.payload, payload)
        XCTAssertEqual(decoded.verifiedChecksum, right.checksum)
        XCTAssertThrowsError(try decoder.nextFrame(), "the receiver still verifies every checksum")
    }

    func testAFrameForAPeerThatIsNotConnectedIsRefused() throws {
        let harness = try EngineHarness(handlers: MessageHandlers())
        defer { harness.engine.stop() }
        XCTAssertFalse(harness.engine.send(frame("blk", [1, 2, 3]), to: PeerID(rawValue: 999)))
    }

    /// A peer that asks and never reads, answered with finished frames: it goes over the send cap,
    /// is paused, and is disconnected `send-buffer-full` once the send-cap timeout passed, exactly
    /// as with encoded sends.
    func testAPeerOverTheSendCapWithFinishedFramesIsPausedThenDisconnected() throws {
        let slot = EngineSlot()
        let sendCap = 256 * 1024
        let reply = frame("blk", [UInt8](repeating: 1, count: 256 * 1024))
        let replies = unreadableBurstBytes(overCap: sendCap) / reply.bytes.count + 1
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("get") { context, _ in
                for _ in 0..<replies { slot.engine?.send(reply, to: context.peer) }
            }
        }
        let harness = try EngineHarness(handlers: handlers) {
            $0.sendCapBytes = sendCap
            $0.sendCapTimeout = .seconds(20)
        }
        defer { harness.engine.stop() }
        slot.engine = harness.engine
        let slow = try harness.client(receiveBufferBytes: 4096)
        XCTAssertTrue(recorder.wait { $0.connects.count == 1 })
        let peer = recorder.connects[0].0
        slow.send(command: "get")
        XCTAssertTrue(eventually { harness.engine.statistics(for: peer)?.isSendPaused == true })
        XCTAssertTrue(harness.engine.isOverSendCap(peer))
        try checkSendCapDeadline(harness: harness, recorder: recorder, peer: peer)
    }
}
