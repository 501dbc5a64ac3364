import DilithionWire
import VectorSupport
import XCTest

/// `FrameDecoder.nextFrames(into:dropped:)`, the reactor's path (issue 16): the same frames and
/// errors in the same order as one `nextFrame()` call at a time, for any split of the stream, with
/// the small frames of one call sharing one payload array.
final class FrameBatchDecodingTests: XCTestCase {
    private let magic = Network.regtest.magic

    /// Small and large frames, and one with a bad checksum (dropped, not fatal) in the middle.
    private func mixedStream() -> (bytes: [UInt8], expected: [Frame], dropped: Int) {
        var bytes: [UInt8] = []
        var expected: [Frame] = []
        let sizes = [0, 8, 32, 135, 136, 1_000, 70_000, 8, 0, 65_535, 65_536, 12]
        for (index, size) in sizes.enumerated() {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
            let command = "cmd\(index)"
            var frame = FrameEncoder.encode(magic: magic, command: command, payload: payload)
            if index == 4 {
                frame[20] ^= 0xFF  // bad checksum: dropped
            } else {
                expected.append(Frame(command: command, payload: payload))
            }
            bytes += frame
        }
        return (bytes, expected, 1)
    }

    private func decodeBatched(_ bytes: [UInt8], chunk: Int) throws -> (frames: [Frame], dropped: [FrameError]) {
        var decoder = FrameDecoder(magic: magic)
        var frames: [Frame] = []
        var dropped: [FrameError] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            bytes.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
            try decoder.nextFrames(into: &frames) { dropped.append($0) }
            offset = end
        }
        XCTAssertFalse(decoder.hasPartialFrame)
        return (frames, dropped)
    }

    func testEverySplitGivesTheFramesAndDropsInOrder() throws {
        let (bytes, expected, droppedCount) = mixedStream()
        for chunk in [1, 7, 24, 25, 100, 4_096, 65_536, bytes.count] {
            let (frames, dropped) = try decodeBatched(bytes, chunk: chunk)
            XCTAssertEqual(frames, expected, "chunk \(chunk)")
            XCTAssertEqual(dropped.count, droppedCount, "chunk \(chunk)")
            XCTAssertEqual(dropped.first?.disposition, .dropMessage)
            for frame in frames {
                XCTAssertEqual(frame.verifiedChecksum, SHA3.checksum(frame.payload), "chunk \(chunk)")
                XCTAssertEqual(frame.payloadCount, frame.payload.count)
                XCTAssertEqual(frame.wireSize, Limits.frameHeaderSize + frame.payload.count)
            }
        }
    }

    func testTheVectorStreamDecodesAsOneFrameAtATime() throws {
        var bytes: [UInt8] = []
        var expected: [Frame] = []
        for name in try Vectors.frameFiles() where name.hasPrefix("testnet") {
            let frameBytes = try Vectors.hex(name)
            expected.append(try Vectors.singleFrame(frameBytes, network: .testnet))
            bytes += frameBytes
        }
        var decoder = FrameDecoder(magic: Network.testnet.magic)
        decoder.append(bytes)
        var frames: [Frame] = []
        try decoder.nextFrames(into: &frames) { XCTFail("dropped \($0)") }
        XCTAssertEqual(frames, expected)
    }

    func testAFatalErrorComesAfterTheFramesBeforeIt() throws {
        var bytes = FrameEncoder.encode(magic: magic, command: "one", payload: [1])
        bytes += FrameEncoder.encode(magic: magic, command: "two", payload: [2, 2])
        bytes += FrameEncoder.encode(magic: Network.mainnet.magic, command: "three", payload: [3])
        var decoder = FrameDecoder(magic: magic)
        decoder.append(bytes)
        var frames: [Frame] = []
        XCTAssertThrowsError(try decoder.nextFrames(into: &frames) { _ in XCTFail("nothing is dropped") }) { error in
            XCTAssertEqual((error as? FrameError)?.disposition, .disconnectPeer)
        }
        XCTAssertEqual(frames.map(\.command), ["one", "two"])
        XCTAssertThrowsError(try decoder.nextFrame(), "the decoder stays poisoned")
    }

    func testAPayloadTakenOutOfASharedArrayIsItsOwnCopy() throws {
        var bytes: [UInt8] = []
        for index in 0..<3 {
            bytes += FrameEncoder.encode(magic: magic, command: "x", payload: [UInt8](repeating: UInt8(index), count: 5))
        }
        var decoder = FrameDecoder(magic: magic)
        decoder.append(bytes)
        var frames: [Frame] = []
        try decoder.nextFrames(into: &frames) { _ in }
        XCTAssertEqual(frames.map(\.payload), [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2]])
        XCTAssertEqual(frames[1].withUnsafePayload { Array($0) }, [1, 1, 1, 1, 1])
        XCTAssertEqual(frames[1], Frame(command: "x", payload: [1, 1, 1, 1, 1]))
        XCTAssertNotEqual(frames[1], Frame(command: "x", payload: [1, 1, 1, 1]))
    }
}
