import DilithionWire
import VectorSupport
import XCTest

/// The incremental decoder: drip-feeding, splitting at every offset, many frames per chunk, the
/// malformed-frame table and the memory bound.
final class FrameDecoderTests: XCTestCase {
    /// All testnet vector frames back to back: a realistic stream with frames of 0 to 4 KiB.
    func testnetStream() throws -> (bytes: [UInt8], frames: [Frame]) {
        var bytes = [UInt8]()
        var frames = [Frame]()
        for name in try Vectors.frameFiles() where name.hasPrefix("testnet") {
            let frameBytes = try Vectors.hex(name)
            frames.append(try Vectors.singleFrame(frameBytes, network: .testnet))
            bytes += frameBytes
        }
        return (bytes, frames)
    }

    func decodeAll(_ bytes: [UInt8], chunks: [Range<Int>]) throws -> [Frame] {
        var decoder = FrameDecoder(magic: Network.testnet.magic)
        var frames = [Frame]()
        for range in chunks {
            bytes.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[range])) }
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        }
        XCTAssertEqual(decoder.bufferedByteCount, 0)
        XCTAssertFalse(decoder.hasPartialFrame)
        return frames
    }

    func testOneByteAtATime() throws {
        let (bytes, expected) = try testnetStream()
        let frames = try decodeAll(bytes, chunks: (0..<bytes.count).map { $0..<$0 + 1 })
        XCTAssertEqual(frames, expected)
    }

    func testAllFramesInOneChunk() throws {
        let (bytes, expected) = try testnetStream()
        XCTAssertEqual(try decodeAll(bytes, chunks: [0..<bytes.count]), expected)
    }

    func testSplitAtEveryOffset() throws {
        let (bytes, expected) = try testnetStream()
        for split in stride(from: 0, through: bytes.count, by: 1) {
            let frames = try decodeAll(bytes, chunks: [0..<split, split..<bytes.count])
            XCTAssertEqual(frames.count, expected.count, "split at \(split)")
            if frames != expected { return XCTFail("split at \(split) changed the frames") }
        }
    }

    func testThreeWaySplitsOfAPingPair() throws {
        let ping = FrameEncoder.encode(Message.ping(nonce: 7), magic: Network.testnet.magic)
        let bytes = ping + ping
        for first in 0...bytes.count {
            for second in first...bytes.count {
                let frames = try decodeAll(bytes, chunks: [0..<first, first..<second, second..<bytes.count])
                XCTAssertEqual(frames.count, 2)
            }
        }
    }

    func testChecksumIsVerifiedOnEmptyPayloads() throws {
        // The C++ node accepts `verack` with checksum 00000000; we do not.
        let bad = try XCTUnwrap(HexCoding.decode("024171d176657261636b0000000000000000000000000000"))
        var decoder = FrameDecoder(magic: Network.mainnet.magic)
        decoder.append(bad)
        XCTAssertThrowsError(try decoder.nextFrame()) { error in
            let frameError = error as! FrameError
            XCTAssertEqual(frameError.kind, .badChecksum(command: "verack", expected: 0x112c29a1, received: 0))
            XCTAssertEqual(frameError.disposition, .dropMessage)
            XCTAssertEqual(frameError.misbehaviorPoints, 50)
        }
        // Dropping the message leaves the decoder usable: a good frame after it comes out.
        decoder.append(FrameEncoder.encode(Message.verack, magic: Network.mainnet.magic))
        XCTAssertEqual(try decoder.nextFrame()?.command, "verack")
        XCTAssertEqual(SHA3.checksum([]), 0x112c29a1, "empty-payload checksum is a1 29 2c 11 on the wire")
    }

    /// The malformed-frame table: each input and its expected typed error and disposition.
    func testMalformedFrameTable() throws {
        let magic = Network.mainnet.magic
        func header(_ hex: String) -> [UInt8] { HexCoding.decode(hex)! }
        let cases: [(name: String, bytes: [UInt8], kind: FrameError.Kind, disposition: FrameError.Disposition, detail: String)] = [
            ("bad magic 0xDEADBEEF", header("efbeadde76657273696f6e000000000087000000f71dcf39"),
             .badMagic(received: 0xDEADBEEF), .disconnectPeer, "bad-magic"),
            ("testnet magic on mainnet", header("fabfb5da76657273696f6e000000000087000000bbbf9119"),
             .badMagic(received: 0xDAB5BFFA), .disconnectPeer, "bad-magic"),
            ("12-char command", header("024171d16162636465666768696a6b6c00000000a1292c11"),
             .badCommand(field: Array("abcdefghijkl".utf8)), .disconnectPeer, "bad-command/unterminated"),
            ("embedded NUL then text", header("024171d170696e67007800000000000008000000793cd6b2"),
             .badCommand(field: [0x70, 0x69, 0x6e, 0x67, 0, 0x78, 0, 0, 0, 0, 0, 0]), .disconnectPeer, "bad-command/text-after-nul"),
            ("non-printable byte", header("024171d170690167000000000000000000000000a1292c11"),
             .badCommand(field: [0x70, 0x69, 0x01, 0x67, 0, 0, 0, 0, 0, 0, 0, 0]), .disconnectPeer, "bad-command/non-printable"),
            ("non-ASCII byte", header("024171d170699567000000000000000000000000a1292c11"),
             .badCommand(field: [0x70, 0x69, 0x95, 0x67, 0, 0, 0, 0, 0, 0, 0, 0]), .disconnectPeer, "bad-command/non-printable"),
            ("empty command", header("024171d100000000000000000000000000000000a1292c11"),
             .badCommand(field: [UInt8](repeating: 0, count: 12)), .disconnectPeer, "bad-command/empty"),
            ("length 33 MiB", header("024171d1626c6f636b000000000000000000100200000000"),
             .oversize(length: 34_603_008), .disconnectPeer, "oversize"),
            ("length 4 GiB - 1", header("024171d1626c6f636b00000000000000ffffffff00000000"),
             .oversize(length: 0xFFFF_FFFF), .disconnectPeer, "oversize"),
            ("length MAX + 1", header("024171d1626c6f636b000000000000000100000200000000"),
             .oversize(length: 33_554_433), .disconnectPeer, "oversize"),
            ("bad checksum, non-empty", header("024171d170696e6700000000000000000800000000000000") + [1, 0, 0, 0, 0, 0, 0, 0],
             .badChecksum(command: "ping", expected: SHA3.checksum([1, 0, 0, 0, 0, 0, 0, 0]), received: 0), .dropMessage, "bad-checksum"),
        ]
        for testCase in cases {
            var decoder = FrameDecoder(magic: magic)
            decoder.append(testCase.bytes)
            XCTAssertThrowsError(try decoder.nextFrame(), testCase.name) { error in
                let frameError = error as! FrameError
                XCTAssertEqual(frameError.kind, testCase.kind, testCase.name)
                XCTAssertEqual(frameError.disposition, testCase.disposition, testCase.name)
                XCTAssertEqual(frameError.detailCode, testCase.detail, testCase.name)
            }
            if testCase.disposition == .disconnectPeer {
                // Poisoned: the same error again, and nothing buffered.
                XCTAssertThrowsError(try decoder.nextFrame(), testCase.name)
                XCTAssertEqual(decoder.bufferedByteCount, 0, testCase.name)
            }
        }
    }

    func testLengthExactlyAtTheLimitIsAccepted() throws {
        var decoder = FrameDecoder(magic: Network.mainnet.magic)
        decoder.append(HexCoding.decode("024171d1626c6f636b000000000000000000000200000000")!)
        XCTAssertNil(try decoder.nextFrame(), "32 MiB is allowed: the decoder waits for the payload")
        XCTAssertTrue(decoder.hasPartialFrame)
        XCTAssertEqual(decoder.missingByteCount, 32 * 1024 * 1024)
    }

    func testOversizedClaimIsRefusedBeforeAnyPayloadIsBuffered() throws {
        var decoder = FrameDecoder(magic: Network.mainnet.magic)
        decoder.append(HexCoding.decode("024171d1626c6f636b00000000000000ffffffff00000000")!)
        XCTAssertThrowsError(try decoder.nextFrame())
        decoder.append([UInt8](repeating: 0xAB, count: 4096))
        XCTAssertEqual(decoder.bufferedByteCount, 0, "a poisoned decoder buffers nothing more")
    }

    func testClaimedLengthDoesNotReserveMemory() throws {
        var decoder = FrameDecoder(magic: Network.mainnet.magic)
        decoder.append(HexCoding.decode("024171d1626c6f636b000000000000000000000200000000")!)
        XCTAssertNil(try decoder.nextFrame())
        decoder.append([UInt8](repeating: 1, count: 10))
        XCTAssertNil(try decoder.nextFrame())
        XCTAssertLessThanOrEqual(decoder.capacity, Limits.decoderReserveAhead + 16 * 1024,
                                 "a 32 MiB claim plus 10 bytes reserves at most the bounded amount ahead")
        // Feeding 4 MiB in 64 KiB chunks keeps the reservation within 2x what was received (or the
        // bounded amount ahead).
        for _ in 0..<64 { decoder.append([UInt8](repeating: 2, count: 65536)) }
        XCTAssertLessThanOrEqual(
            decoder.capacity, max(2 * decoder.bufferedByteCount, decoder.bufferedByteCount + Limits.decoderReserveAhead) + 16 * 1024)
    }

    func testLargeFrameInChunksAndBufferReleasedAfterwards() throws {
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = FrameEncoder.encode(magic: Network.regtest.magic, command: "block", payload: payload)
        var decoder = FrameDecoder(magic: Network.regtest.magic)
        var got = [Frame]()
        var offset = 0
        while offset < frame.count {
            let end = min(offset + 65536, frame.count)
            decoder.append(Array(frame[offset..<end]))
            while let next = try decoder.nextFrame() { got.append(next) }
            offset = end
        }
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got.first?.payload, payload)
        decoder.append(FrameEncoder.encode(Message.verack, magic: Network.regtest.magic))
        XCTAssertEqual(try decoder.nextFrame()?.command, "verack")
        XCTAssertLessThan(decoder.capacity, 300 * 1024, "the megabyte buffer is not kept after the frame")
    }

    func testTruncatedFrameWaitsAndPartialStateIsVisible() throws {
        let ping = FrameEncoder.encode(Message.ping(nonce: 1), magic: Network.mainnet.magic)
        XCTAssertEqual(HexCoding.encode(ping), "024171d170696e67000000000000000008000000084432f30100000000000000")
        var decoder = FrameDecoder(magic: Network.mainnet.magic)
        decoder.append(Array(ping.prefix(30)))
        XCTAssertNil(try decoder.nextFrame())
        XCTAssertTrue(decoder.hasPartialFrame)
        XCTAssertEqual(decoder.missingByteCount, 2)
        decoder.append(Array(ping.suffix(2)))
        XCTAssertEqual(try decoder.nextFrame(), Frame(command: "ping", payload: [1, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertFalse(decoder.hasPartialFrame)
    }
}
