import Crypto
import DilithionWire
import Foundation
import VectorSupport
import XCTest

/// The checksum shortcuts of the hot path (issue 16) agree with the plain computation: the checksum
/// a decoder verified and a reply reuses, the constant of the empty payload, the per-thread
/// hasher, and the header the encoder builds in registers.
final class FrameChecksumTests: XCTestCase {
    /// SHA3-256 through swift-crypto's XKCP alone, an implementation independent of the libcrypto
    /// path the frame checksum (and ``SHA3/hash(_:)-swift.type.method`` for large inputs) uses.
    private func referenceHash(_ bytes: [UInt8]) -> [UInt8] { Array(SHA3_256.hash(data: bytes)) }

    /// SHA3-256(SHA3-256(payload)), first 4 bytes little endian, through ``referenceHash(_:)``.
    private func referenceChecksum(_ payload: [UInt8]) -> UInt32 {
        referenceHash(referenceHash(payload)).prefix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Both sides of ``SHA3/libcryptoThreshold`` give the FIPS 202 hash.
    func testHashAgreesWithTheReferenceOnBothSidesOfTheLibcryptoThreshold() {
        let threshold = SHA3.libcryptoThreshold
        for size in [0, 135, 136, threshold - 1, threshold, threshold + 1, 20_063, 1 << 20] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
            let hash = SHA3.hash(bytes)
            let words = [hash.w0, hash.w1, hash.w2, hash.w3].flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }
            XCTAssertEqual(words, referenceHash(bytes), "size \(size)")
        }
    }

    func testDecodedFramesCarryTheChecksumTheyWereVerifiedWith() throws {
        var decoder = FrameDecoder(magic: Network.testnet.magic)
        for name in try Vectors.frameFiles() where name.hasPrefix("testnet") {
            decoder.append(try Vectors.hex(name))
            let frame = try XCTUnwrap(try decoder.nextFrame(), name)
            XCTAssertEqual(frame.verifiedChecksum, referenceChecksum(frame.payload), name)
        }
        XCTAssertNil(Frame(command: "ping", payload: [1, 2, 3, 4, 5, 6, 7, 8]).verifiedChecksum)
    }

    func testAReplyCarryingTheSamePayloadIsEncodedAsIfHashedAgain() throws {
        let magic = Network.regtest.magic
        for size in [0, 1, 8, 135, 136, 137, 1_000, 70_000] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var decoder = FrameDecoder(magic: magic)
            decoder.append(FrameEncoder.encode(magic: magic, command: "ping", payload: payload))
            let received = try XCTUnwrap(try decoder.nextFrame())
            var echoed: [UInt8] = []
            FrameEncoder.encode(magic: magic, command: "pong", payloadOf: received, into: &echoed)
            XCTAssertEqual(echoed, FrameEncoder.encode(magic: magic, command: "pong", payload: payload), "size \(size)")
            // A frame built in code has no known checksum: it is computed.
            var built: [UInt8] = []
            FrameEncoder.encode(magic: magic, command: "pong", payloadOf: Frame(command: "ping", payload: payload), into: &built)
            XCTAssertEqual(built, echoed, "size \(size)")
        }
    }

    func testTheEmptyPayloadChecksumIsTheComputedOne() {
        XCTAssertEqual(FrameHasher.emptyPayloadChecksum, referenceChecksum([]))
        XCTAssertEqual(SHA3.checksum([]), referenceChecksum([]))
        XCTAssertEqual(FrameHasher().checksum(UnsafeRawBufferPointer(start: nil, count: 0)), referenceChecksum([]))
    }

    func testChecksumsMatchTheReferenceAcrossBlockBoundaries() {
        for size in [1, 8, 32, 134, 135, 136, 137, 271, 272, 273, 4_096] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            XCTAssertEqual(SHA3.checksum(payload), referenceChecksum(payload), "size \(size)")
        }
    }

    func testEachThreadHasItsOwnReusedHasher() {
        let first = FrameHasher.forCurrentThread
        XCTAssertTrue(first === FrameHasher.forCurrentThread, "the same thread reuses its hasher")
        final class Seen: @unchecked Sendable {  // written by the thread before it signals
            var hasher: ObjectIdentifier?
        }
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            seen.hasher = ObjectIdentifier(FrameHasher.forCurrentThread)
            done.signal()
        }
        thread.start()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertNotNil(seen.hasher)
        XCTAssertNotEqual(seen.hasher, ObjectIdentifier(first), "another thread gets another hasher")
    }

    func testHeadersAreWrittenFieldByField() {
        let magic = Network.mainnet.magic
        let payload: [UInt8] = [9, 8, 7]
        let frame = FrameEncoder.encode(magic: magic, command: "getheaders", payload: payload)
        XCTAssertEqual(frame.count, 27)
        XCTAssertEqual(Array(frame[0..<4]), withUnsafeBytes(of: magic.value.littleEndian) { Array($0) })
        XCTAssertEqual(Array(frame[4..<16]), Array("getheaders".utf8) + [0, 0])
        XCTAssertEqual(Array(frame[16..<20]), [3, 0, 0, 0])
        XCTAssertEqual(Array(frame[20..<24]), withUnsafeBytes(of: referenceChecksum(payload).littleEndian) { Array($0) })
        XCTAssertEqual(Array(frame[24...]), payload)
    }

    func testDottedQuadsParseAsTheGeneralParserDid() {
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        XCTAssertEqual(IPAddressText.parse("127.0.0.1"), mapped + [127, 0, 0, 1])
        XCTAssertEqual(IPAddressText.parse("255.255.255.255"), mapped + [255, 255, 255, 255])
        XCTAssertEqual(IPAddressText.parse("010.2.3.4"), mapped + [10, 2, 3, 4])
        XCTAssertEqual(IPAddressText.parse("[1.2.3.4]"), mapped + [1, 2, 3, 4])
        for bad in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "1234.1.1.1", "1.2.3.x", ""] {
            XCTAssertNil(IPAddressText.parse(bad), bad)
        }
    }
}
