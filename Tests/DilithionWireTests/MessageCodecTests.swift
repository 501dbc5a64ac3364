import DilithionWire
import VectorSupport
import WireFuzz
import XCTest

/// Payload decoding: the malformed-payload table, count limits, CompactSize rules, and the
/// round-trip property decode(encode(m)) == m over generated messages.
final class MessageCodecTests: XCTestCase {
    func hex(_ text: String) -> [UInt8] { HexCoding.decode(text)! }

    func testCompactSizeCanonicalWriteAndNonCanonicalRead() throws {
        for (value, encoding) in [(UInt64(0), "00"), (252, "fc"), (253, "fdfd00"), (0xFFFF, "fdffff"),
                                  (0x10000, "fe00000100"), (0xFFFF_FFFF, "feffffffff"),
                                  (0x1_0000_0000, "ff0000000001000000"), (UInt64.max, "ffffffffffffffffff")] {
            var writer = ByteWriter()
            writer.writeCompactSize(value)
            XCTAssertEqual(HexCoding.encode(writer.bytes), encoding)
            var reader = ByteReader(writer.bytes)
            XCTAssertEqual(try reader.readCompactSize("n"), value)
        }
        // Non-canonical encodings of 1 are accepted on read, as the C++ reader accepts them.
        for encoding in ["fd0100", "fe01000000", "ff0100000000000000"] {
            var reader = ByteReader(hex(encoding))
            XCTAssertEqual(try reader.readCompactSize("n"), 1)
        }
        // An `inv` whose count is non-canonical still decodes, and re-encodes canonically.
        let payload = hex("fd0100") + hex("02000000") + [UInt8](repeating: 0x11, count: 32)
        guard case .inv(let items) = try Message.decode(command: "inv", payload: payload) else { return XCTFail() }
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(Message.inv(items).encodePayload().count, payload.count - 2)
    }

    /// The malformed-payload table: each payload, its expected typed error and its penalty.
    func testMalformedPayloadTable() {
        let hash = [UInt8](repeating: 0x22, count: 32)
        let cases: [(name: String, command: String, payload: [UInt8], error: MessageDecodeError, points: Int)] = [
            ("4-byte ping", "ping", [7, 0, 0, 0],
             .payloadSizeOutOfRange(command: "ping", size: 4, allowed: 8...8), 20),
            ("verack with a payload", "verack", [0],
             .payloadSizeOutOfRange(command: "verack", size: 1, allowed: 0...0), 20),
            ("empty inv", "inv", [],
             .payloadSizeOutOfRange(command: "inv", size: 0, allowed: 1...1_800_000), 20),
            ("inv count larger than the bytes", "inv", [3] + hex("02000000") + hash,
             .countExceedsBytes(field: "inv", count: 3, remainingBytes: 36), 10),
            ("inv count 2^64-1", "inv", hex("ffffffffffffffffff") + hex("02000000") + hash,
             .countOverLimit(field: "inv", count: .max, limit: 50_000), 20),
            ("getdata count over 50 000", "getdata", hex("fe51c30000") + hex("02000000") + hash,
             .countOverLimit(field: "getdata", count: 50_001, limit: 50_000), 20),
            ("addr count over 1 000", "addr", hex("fde903") + [UInt8](repeating: 0, count: 30),
             .countOverLimit(field: "addr", count: 1_001, limit: 1_000), 20),
            ("addr entry cut short", "addr", [1] + [UInt8](repeating: 0, count: 29),
             .countExceedsBytes(field: "addr", count: 1, remainingBytes: 29), 10),
            ("locator of 33 hashes", "getheaders", [33] + [UInt8](repeating: 0, count: 32 * 34),
             .countOverLimit(field: "getheaders.locator", count: 33, limit: 32), 20),
            ("getheaders without hashStop", "getheaders", [1] + hash + [UInt8](repeating: 0, count: 31),
             .truncated(field: "getheaders.hashStop"), 10),
            ("headers count 2 001", "headers", hex("fdd107") + [UInt8](repeating: 0, count: 100),
             .countOverLimit(field: "headers", count: 2_001, limit: 2_000), 20),
            ("empty pong", "pong", [],
             .payloadSizeOutOfRange(command: "pong", size: 0, allowed: 8...8), 20),
            ("trailing garbage after getheaders", "getheaders", [0] + hash + [0xEE],
             .trailingBytes(command: "getheaders", count: 1), 10),
            ("trailing garbage after inv", "inv", [1] + hex("02000000") + hash + [0xEE, 0xEE],
             .trailingBytes(command: "inv", count: 2), 10),
            ("user agent over 256 bytes", "version", versionPayload(userAgentLength: 257),
             .invalidField(field: "version.user_agent", detail: "length 257 exceeds 256", points: 10), 10),
            ("version without genesis hash", "version", Array(versionPayload(userAgentLength: 4).dropLast(32)),
             .truncated(field: "version.genesis"), 10),
            ("block blob over 4 MiB", "block", [UInt8](repeating: 0, count: 80) + hex("fe01004000"),
             .blockBlobTooLarge(size: 4 * 1024 * 1024 + 1), 100),
            ("block blob length beyond the payload", "block", [UInt8](repeating: 0, count: 80) + hex("fd0001") + [1, 2],
             .countExceedsBytes(field: "block.blob", count: 256, remainingBytes: 2), 10),
            ("sendcmpct of 8 bytes", "sendcmpct", [UInt8](repeating: 0, count: 8),
             .payloadSizeOutOfRange(command: "sendcmpct", size: 8, allowed: 9...9), 20),
            ("tx with 2^64-1 inputs", "tx", hex("01000000") + hex("ffffffffffffffffff") + [UInt8](repeating: 0, count: 60),
             .countOverLimit(field: "tx.inputs", count: .max, limit: 10_000), 20),
            ("dnaireq of 19 bytes", "dnaireq", [UInt8](repeating: 0, count: 19),
             .payloadSizeOutOfRange(command: "dnaireq", size: 19, allowed: 20...20), 20),
            ("reject reason over 200 bytes", "reject", [7] + Array("version".utf8) + [0x10] + hex("c9") + [UInt8](repeating: 0x41, count: 201),
             .invalidField(field: "reject.reason", detail: "length 201 exceeds 200", points: 10), 10),
        ]
        for testCase in cases {
            XCTAssertThrowsError(try Message.decode(command: testCase.command, payload: testCase.payload), testCase.name) { error in
                XCTAssertEqual(error as? MessageDecodeError, testCase.error, testCase.name)
                XCTAssertEqual((error as? MessageDecodeError)?.misbehaviorPoints, testCase.points, testCase.name)
            }
        }
    }

    func testHeaderWithNonZeroTxCountIsRefused() throws {
        var header = GoldenHeaders.vdfHeader(nonce: 1).serialized
        header.append(1)
        XCTAssertThrowsError(try Message.decode(command: "headers", payload: [1] + header)) { error in
            XCTAssertEqual((error as? MessageDecodeError)?.misbehaviorPoints, 20)
        }
    }

    func testCountLimitsAreExactlyAtTheLimit() throws {
        let item = HexCoding.decode("02000000")! + [UInt8](repeating: 7, count: 32)
        // The C++ size window (≤ 1 800 000 bytes) is reached before the count limit: 49 999 items fit,
        // 50 000 items (1 800 003 bytes) are refused by size.
        func inv(_ count: Int) -> [UInt8] {
            var writer = ByteWriter()
            writer.writeCompactSize(count)
            for _ in 0..<count { writer.writeBytes(item) }
            return writer.bytes
        }
        guard case .inv(let items) = try Message.decode(command: "inv", payload: inv(49_999)) else { return XCTFail() }
        XCTAssertEqual(items.count, 49_999)
        XCTAssertThrowsError(try Message.decode(command: "inv", payload: inv(50_000))) { error in
            XCTAssertEqual(error as? MessageDecodeError,
                           .payloadSizeOutOfRange(command: "inv", size: 1_800_003, allowed: 1...1_800_000))
        }

        var headers = ByteWriter()
        headers.writeCompactSize(2_000)
        for index in 0..<2_000 {
            GoldenHeaders.vdfHeader(nonce: UInt32(index)).write(to: &headers)
            headers.writeCompactSize(0)
        }
        guard case .headers(let decoded) = try Message.decode(command: "headers", payload: headers.bytes) else { return XCTFail() }
        XCTAssertEqual(decoded.count, 2_000)
    }

    func testUnknownAndDNACommands() throws {
        XCTAssertEqual(try Message.decode(command: "feefilter", payload: [1, 2, 3]), .unknown(command: "feefilter", payload: [1, 2, 3]))
        XCTAssertEqual(try Message.decode(command: "getblocks", payload: [UInt8](repeating: 0, count: 37)).command, "getblocks")
        XCTAssertEqual(try Message.decode(command: "dnalping", payload: [UInt8](repeating: 1, count: 8)),
                       .dna(command: "dnalping", payload: [UInt8](repeating: 1, count: 8)))
    }

    func testRoundTripOverGeneratedMessages() throws {
        var generator = MessageGenerator(seed: 0x5EED)
        for _ in 0..<2_000 {
            let message = generator.next()
            let payload = message.encodePayload()
            let decoded = try Message.decode(command: message.command, payload: payload)
            XCTAssertEqual(decoded, message)
            XCTAssertEqual(decoded.encodePayload(), payload)
            // And through the framing layer.
            var decoder = FrameDecoder(magic: Network.regtest.magic)
            decoder.append(FrameEncoder.encode(message, magic: Network.regtest.magic))
            XCTAssertEqual(try Message.decode(try XCTUnwrap(try decoder.nextFrame())), message)
        }
    }

    func testFuzzHarnessAcceptsTheVectorsAndGeneratedFrames() throws {
        for name in try Vectors.frameFiles() {
            let bytes = try Vectors.hex(name)
            // The harness expects a selector byte first; try every command selector over the payload.
            for selector in 0..<UInt8(WireFuzzHarness.commands.count) {
                ([selector] + bytes.dropFirst(24)).withUnsafeBytes { WireFuzzHarness.run($0) }
            }
            ([1] + bytes.dropFirst(4)).withUnsafeBytes { WireFuzzHarness.run($0) }
        }
    }

    func versionPayload(userAgentLength: Int) -> [UInt8] {
        var message = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 1, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: 9,
            userAgent: "", startHeight: 0, relay: true, genesisHash: .zero)
        message.userAgentBytes = [UInt8](repeating: 0x61, count: userAgentLength)
        return Message.version(message).encodePayload()
    }
}

/// Headers built in tests.
enum GoldenHeaders {
    static func vdfHeader(nonce: UInt32) -> BlockHeader {
        BlockHeader(version: 4, previousBlockHash: Hash256(w0: 1, w1: 2, w2: 3, w3: 4), merkleRoot: .zero,
                    time: 1_800_000_000, bits: 0x207fffff, nonce: nonce,
                    vdfOutput: Hash256(w0: 5, w1: 0, w2: 0, w3: 0), vdfProofHash: Hash256(w0: 6, w1: 0, w2: 0, w3: 0))
    }
}

/// A seeded generator of valid messages of every kind (SplitMix64), for the round-trip property.
struct MessageGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(nextUInt64() % UInt64(range.count)) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: nextUInt64()) } }
    mutating func hash() -> Hash256 { Hash256(w0: nextUInt64(), w1: nextUInt64(), w2: nextUInt64(), w3: nextUInt64()) }
    mutating func address() -> NetAddress {
        NetAddress(services: nextUInt64(), ip: bytes(16), port: UInt16(truncatingIfNeeded: nextUInt64()))
    }
    mutating func header() -> BlockHeader {
        let vdf = nextUInt64() % 2 == 0
        return BlockHeader(version: vdf ? Int32(int(4...6)) : Int32(int(1...3)), previousBlockHash: hash(), merkleRoot: hash(),
                           time: UInt32(truncatingIfNeeded: nextUInt64()), bits: UInt32(truncatingIfNeeded: nextUInt64()),
                           nonce: UInt32(truncatingIfNeeded: nextUInt64()),
                           vdfOutput: vdf ? hash() : .zero, vdfProofHash: vdf ? hash() : .zero)
    }
    mutating func transaction() -> Transaction {
        Transaction(
            version: Int32(truncatingIfNeeded: nextUInt64()),
            inputs: (0..<int(1...3)).map { _ in
                .init(previousOutput: .init(hash: hash(), index: UInt32(truncatingIfNeeded: nextUInt64())),
                      scriptSig: bytes(int(0...300)), sequence: UInt32(truncatingIfNeeded: nextUInt64()))
            },
            outputs: (0..<int(1...3)).map { _ in .init(value: nextUInt64(), scriptPubKey: bytes(int(0...40))) },
            lockTime: UInt32(truncatingIfNeeded: nextUInt64()))
    }

    mutating func next() -> Message {
        switch int(0...20) {
        case 0:
            var version = VersionMessage(
                protocolVersion: Int32(truncatingIfNeeded: nextUInt64()), services: nextUInt64(),
                timestamp: Int64(bitPattern: nextUInt64()), receiver: address(), sender: address(), nonce: nextUInt64(),
                userAgent: "", startHeight: Int32(truncatingIfNeeded: nextUInt64()), relay: true, genesisHash: hash())
            version.userAgentBytes = bytes(int(0...256))
            version.relay = UInt8(truncatingIfNeeded: nextUInt64())
            version.extensionBytes = bytes(int(0...8))
            return .version(version)
        case 1: return .verack
        case 2: return .ping(nonce: nextUInt64())
        case 3: return .pong(nonce: nextUInt64())
        case 4: return .getaddr
        case 5: return .addr((0..<int(1...20)).map { _ in TimestampedAddress(time: UInt32(truncatingIfNeeded: nextUInt64()), address: address()) })
        case 6: return .inv((0..<int(1...300)).map { _ in InventoryItem(type: UInt32(int(0...5)), hash: hash()) })
        case 7: return .getdata((0..<int(1...20)).map { _ in InventoryItem(.block, hash: hash()) })
        case 8: return .getheaders(GetHeadersMessage(locator: (0..<int(0...32)).map { _ in hash() }, hashStop: hash()))
        case 9: return .headers((0..<int(0...40)).map { _ in header() })
        case 10:
            let block = Block(header: header(), transactions: (0..<int(1...4)).map { _ in transaction() })
            return .block(block.message)
        case 11: return .tx(transaction())
        case 12: return .sendheaders
        case 13:
            var sendcmpct = SendCompactMessage(highBandwidth: false, version: nextUInt64())
            sendcmpct.highBandwidth = UInt8(truncatingIfNeeded: nextUInt64())
            return .sendcmpct(sendcmpct)
        case 14:
            var reject = RejectMessage(rejectedCommand: "block", code: .invalid, reason: "")
            reject.reason = bytes(int(0...200))
            reject.extraData = bytes(int(0...1) * 32)
            return .reject(reject)
        case 15: return .mempool
        case 16:
            return .cmpctblock(CompactBlockMessage(
                header: header(), nonce: nextUInt64(),
                prefilled: (0..<int(0...3)).map { _ in .init(index: UInt64(int(0...70000)), transaction: transaction()) },
                shortIDs: (0..<int(0...50)).map { _ in nextUInt64() & 0xFFFF_FFFF_FFFF }))
        case 17: return .getblocktxn(GetBlockTransactionsMessage(blockHash: hash(), indexes: (0..<int(0...100)).map { _ in UInt64(int(0...100_000)) }))
        case 18: return .blocktxn(BlockTransactionsMessage(blockHash: hash(), transactions: (0..<int(0...3)).map { _ in transaction() }))
        case 19: return .dna(command: "dnaires", payload: bytes(int(21...500)))
        default: return .unknown(command: "x" + String(int(0...999)), payload: bytes(int(0...100)))
        }
    }
}
