import DilithionRandomX
import DilithionWire
import VectorSupport
import XCTest

/// Every frame captured from the C++ node decodes and re-encodes byte-identical; every hash, merkle
/// root and VDF commitment of the captured blocks recomputes.
final class GoldenVectorTests: XCTestCase {
    func testEveryFrameDecodesAndReencodesByteIdentical() throws {
        let files = try Vectors.frameFiles()
        XCTAssertGreaterThanOrEqual(files.count, 34, "expected the 34 frame files of Tests/Fixtures/vectors")
        for name in files {
            let bytes = try Vectors.hex(name)
            let network = Vectors.network(of: name)
            let frame = try Vectors.singleFrame(bytes, network: network)
            let message = try Message.decode(frame)
            XCTAssertEqual(message.command, frame.command, name)
            let reencoded = FrameEncoder.encode(message, magic: network.magic)
            XCTAssertEqual(reencoded, bytes, "\(name) did not re-encode byte-identical")
            if case .unknown = message { XCTFail("\(name): \(frame.command) decoded as unknown") }
        }
    }

    /// Display hashes of the captured blocks (checked at capture against the C++ node's own
    /// `headers` and announcements).
    static let blockTable: [(file: String, hash: String, prev: String, merkle: String, bits: UInt32, time: UInt32)] = [
        ("testnet-genesis-block.frame.hex", "45cff8020830b10d06e9b6123aaa187a334600e49335e4605f3807e30dd0a972",
         "0000000000000000000000000000000000000000000000000000000000000000",
         "2cbc9f271e31da4e3397df80e58e7693d4f16f85d1e6620fd3583084d5329143", 0x1d00ffff, 1774656000),
        ("dilv-genesis-block.frame.hex", "ed06d89a233d9cfa4518f9a6012d8bccb2264afed098c6035b9949710d31c48e",
         "0000000000000000000000000000000000000000000000000000000000000000",
         "2530368c1f24a86b420c92fd7406052c82a2e21642c5c6ee6d11cba0ed354414", 0x1d00ffff, 1774656000),
        ("testnet-block-01.frame.hex", "d529cec046086b9c6946a9ebc9e647b3d83d5614d5d82caaab116dbe574d7e28",
         "45cff8020830b10d06e9b6123aaa187a334600e49335e4605f3807e30dd0a972",
         "9c4d2d137e1d887032b0fc25f1250c6ef8bef17ac2777d035213e6a6b6e39c24", 0x1d56bc1f, 1795549045),
        ("testnet-block-02.frame.hex", "e2bc5a0a0801a60590b15ccec1e9f1aac096cd48444f09ffac0dbcdd592da43d",
         "d529cec046086b9c6946a9ebc9e647b3d83d5614d5d82caaab116dbe574d7e28",
         "d226560f0149024cf52302d33d0bad79117156945269c851da4f449d071f4f79", 0x1d56bc1f, 1795549465),
        ("testnet-block-03.frame.hex", "fcfd30b21993b4e2ad693980419116e9e938c0f70a40afa778deb00aba05b370",
         "e2bc5a0a0801a60590b15ccec1e9f1aac096cd48444f09ffac0dbcdd592da43d",
         "3fa0a6771f9e6eb2271936ca39962b2982ed28a69c6edce2528fc5c76f147d10", 0x1d56bc1f, 1795549512),
        ("testnet-block-04.frame.hex", "85a623e5eda53b19a82c6d1f137a776c1d6c7d1e52690c329087e572b72a21b3",
         "fcfd30b21993b4e2ad693980419116e9e938c0f70a40afa778deb00aba05b370",
         "30a6ea4a1769f57ac9b29e4bb9986e9551d4cfb944d050b4a0b3b6af0d9353da", 0x1d56bc1f, 1795549558),
        ("testnet-block-05.frame.hex", "0e85e4128903adcac2ceaf6f84d757c60305cf5af835ea9e240bd221f02c6f84",
         "85a623e5eda53b19a82c6d1f137a776c1d6c7d1e52690c329087e572b72a21b3",
         "495b44ae98f3a9c6ec3cb16a498bdb7f0325ff7ed433d881f2c890276a6461f0", 0x1d56bc1f, 1795549605),
        ("testnet-block-06.frame.hex", "bae8b86387d3b224d78f1e9217d93887fb65f2bdde302400e10508b147b7fc2b",
         "0e85e4128903adcac2ceaf6f84d757c60305cf5af835ea9e240bd221f02c6f84",
         "8c3aba2ad1a21b89f2f67d5c539d7409b2abbf5f048bd523732ec27363bb606c", 0x1d56bc1f, 1795549651),
        ("testnet-block-07.frame.hex", "d6777f860985a8b53a1f5cb073d339f0e83c118f63ab76665e5b0ed5d9c6c81c",
         "bae8b86387d3b224d78f1e9217d93887fb65f2bdde302400e10508b147b7fc2b",
         "b1a55110255186f2ece520aea298a1bc663c0d8adb0f51912829edd5e4671dd0", 0x1d56bc1f, 1795549696),
        ("testnet-block-08.frame.hex", "98b367827172ecf72f06515c122fdc762bd7713fd971018a4fa3b44b14edebd5",
         "d6777f860985a8b53a1f5cb073d339f0e83c118f63ab76665e5b0ed5d9c6c81c",
         "66bf4b7c862c266f958ae1a45d54a466235fbeac2b68f14ae2272811a54e8c02", 0x1d56bc1f, 1795549743),
    ]

    func testVDFBlockHashesMerkleRootsAndCommitmentsRecompute() throws {
        for row in Self.blockTable {
            let frame = try Vectors.singleFrame(try Vectors.hex(row.file), network: Vectors.network(of: row.file))
            guard case .block(let message) = try Message.decode(frame) else { return XCTFail("\(row.file) is not a block") }
            let header = message.header
            XCTAssertEqual(header.version, 4, row.file)
            XCTAssertEqual(try header.hash().displayHex, row.hash, row.file)
            XCTAssertEqual(header.previousBlockHash.displayHex, row.prev, row.file)
            XCTAssertEqual(header.merkleRoot.displayHex, row.merkle, row.file)
            XCTAssertEqual(header.bits, row.bits, row.file)
            XCTAssertEqual(header.time, row.time, row.file)
            let block = try Block(message: message)
            XCTAssertEqual(block.transactions.count, 1, row.file)
            XCTAssertTrue(block.transactions[0].isCoinbase, row.file)
            XCTAssertEqual(block.computedMerkleRoot, header.merkleRoot, row.file)
            // Re-serialising the parsed transactions gives back the blob (canonical encodings).
            XCTAssertEqual(block.blob, message.blob, row.file)
            let commitment = try XCTUnwrap(
                VDFCommitment.extract(fromScriptSig: block.transactions[0].inputs[0].scriptSig), row.file)
            XCTAssertEqual(commitment.proof.count, 200, row.file)
            XCTAssertEqual(commitment.proofHash, header.vdfProofHash, row.file)
            XCTAssertEqual(commitment.output, header.vdfOutput, row.file)
        }
    }

    func testDilvGenesisHasOneHundredFiftyOneOutputs() throws {
        let frame = try Vectors.singleFrame(try Vectors.hex("dilv-genesis-block.frame.hex"), network: .dilv)
        guard case .block(let message) = try Message.decode(frame) else { return XCTFail("not a block") }
        let block = try Block(message: message)
        XCTAssertEqual(block.transactions[0].outputs.count, 151)
        XCTAssertEqual(block.transactions[0].outputs.dropFirst().reduce(0) { $0 + $1.value }, 268_163_691_807_560)
    }

    func testHeadersMessageLinksBlocksOneToEight() throws {
        let frame = try Vectors.singleFrame(try Vectors.hex("testnet-headers-1-to-8.frame.hex"), network: .testnet)
        guard case .headers(let headers) = try Message.decode(frame) else { return XCTFail("not headers") }
        XCTAssertEqual(headers.count, 8)
        XCTAssertEqual(frame.payload.count, 1 + 145 * 8)
        var previous = Network.testnet.parameters.genesisHash
        for (index, header) in headers.enumerated() {
            XCTAssertEqual(header.previousBlockHash, previous, "header \(index + 1) does not link")
            previous = try header.hash()
            // Each header is byte-identical to the header of the block file of that height.
            let row = Self.blockTable[index + 2]
            XCTAssertEqual(previous.displayHex, row.hash)
        }
    }

    func testAnnouncementsAgree() throws {
        let headersFrame = try Vectors.singleFrame(
            try Vectors.hex("testnet-headers-announcement-block-19.frame.hex"), network: .testnet)
        let invFrame = try Vectors.singleFrame(try Vectors.hex("testnet-inv-announcement-block-19.frame.hex"), network: .testnet)
        guard case .headers(let headers) = try Message.decode(headersFrame),
              case .inv(let items) = try Message.decode(invFrame) else { return XCTFail("wrong messages") }
        XCTAssertEqual(headers.count, 1)
        XCTAssertEqual(items, [InventoryItem(.block, hash: try headers[0].hash())])
        XCTAssertEqual(items[0].hash.displayHex, "e4a79057a45b82d235cfd008b3816d1955c762fb1c8cc0625d9cc43ebc98597b")

        let compactFrame = try Vectors.singleFrame(
            try Vectors.hex("testnet-cmpctblock-announcement-block-21.frame.hex"), network: .testnet)
        guard case .cmpctblock(let compact) = try Message.decode(compactFrame) else { return XCTFail("not cmpctblock") }
        XCTAssertEqual(try compact.header.hash().displayHex, "be2e0a5dfea819a0e9fb6f127030717766ac4500436cfb7ab6cd38bcbf3a4790")
        XCTAssertEqual(compact.prefilled.count, 1)
        XCTAssertEqual(compact.prefilled[0].index, 0)
        XCTAssertEqual(compact.shortIDs.count, 0)
        XCTAssertEqual(compact.prefilled[0].transaction.txid, compact.header.merkleRoot)
        XCTAssertEqual(compact.nonce, 0xaedf202d79041525)
    }

    func testVersionFieldsMatchTheReadme() throws {
        let frame = try Vectors.singleFrame(try Vectors.hex("mainnet-version-from-cpp.frame.hex"), network: .mainnet)
        guard case .version(let version) = try Message.decode(frame) else { return XCTFail("not version") }
        XCTAssertEqual(frame.payload.count, 133)
        XCTAssertEqual(version.protocolVersion, 70011)
        XCTAssertEqual(version.services, 1)
        XCTAssertEqual(version.timestamp, 1795550605)
        XCTAssertEqual(version.receiver.description, "127.0.0.31:36745")
        XCTAssertEqual(version.sender.description, "0.0.0.0:0")
        XCTAssertEqual(version.nonce, 0x017268967ed16a79)
        XCTAssertEqual(version.userAgent, "/Dilithion:dev/")
        XCTAssertEqual(version.startHeight, 0)
        XCTAssertEqual(version.relay, 1)
        XCTAssertEqual(version.genesisHash, Network.mainnet.parameters.genesisHash)
        XCTAssertTrue(version.extensionBytes.isEmpty)

        let probe = try Vectors.singleFrame(try Vectors.hex("mainnet-version-to-cpp.request.frame.hex"), network: .mainnet)
        guard case .version(let ours) = try Message.decode(probe) else { return XCTFail("not version") }
        XCTAssertEqual(ours.userAgent, "/vectorprobe:0.1/")
        XCTAssertEqual(ours.nonce, 0x7f1f1aefa968407a)
        XCTAssertEqual(ours.receiver.port, 0)
    }

    func testProtocolDocumentVersionVectorHasLittleEndianPort() throws {
        // PROTOCOL.md §3.2's probe vector: port 8444 is `fc20` on the wire.
        let payloadHex = "7b110100" + "0100000000000000" + "00f1536500000000"
            + "0100000000000000" + "00000000000000000000ffff7f000001" + "fc20"
            + "0100000000000000" + "00000000000000000000ffff00000000" + "0000"
            + "0807060504030201" + "0e2f64696c70726f62653a302e312f" + "00000000" + "01"
            + "c30b9bb90d0961eabbafdd215b044454c3753f5c52146dba81775eaa9e000000"
        let payload = try XCTUnwrap(HexCoding.decode(payloadHex))
        XCTAssertEqual(payload.count, 132)
        guard case .version(let version) = try Message.decode(command: "version", payload: payload) else {
            return XCTFail("not version")
        }
        XCTAssertEqual(version.receiver.port, 8444)
        XCTAssertEqual(version.receiver.host, "127.0.0.1")
        XCTAssertEqual(version.nonce, 0x0102030405060708)
        let frame = FrameEncoder.encode(magic: Network.mainnet.magic, command: "version", payload: payload)
        XCTAssertEqual(HexCoding.encode(frame.prefix(24)), "024171d176657273696f6e0000000000840000" + "00647a9404")
    }

    func testMainnetGenesisRandomXHash() throws {
        let header = try Vectors.hex("mainnet-genesis-header.hex")
        let raw = try Vectors.hex("mainnet-genesis-randomx-hash.raw.hex")
        let display = try Vectors.hex("mainnet-genesis-randomx-hash.display.hex")
        XCTAssertEqual(header.count, 80)
        let hasher = RandomXHasher()
        let hash = hasher.hash(legacyHeader: header)
        XCTAssertEqual(hash.internalBytes, raw)
        XCTAssertEqual(hash.internalBytes.reversed(), display)
        XCTAssertEqual(hash, Network.mainnet.parameters.genesisHash)

        var reader = ByteReader(header)
        let parsed = try BlockHeader.read(from: &reader)
        XCTAssertEqual(parsed.nonce, 429612875)
        XCTAssertEqual(parsed.bits, 0x1e01fffe)
        XCTAssertTrue(parsed.meetsTarget(hash: hash))
        XCTAssertEqual(try parsed.hash(legacyHasher: hasher), hash)
        XCTAssertThrowsError(try parsed.hash()) { error in
            XCTAssertEqual(error as? HeaderHashError, .legacyHasherUnavailable)
        }
        XCTAssertEqual(CompactTarget(bits: 0x1e01fffe).target?.displayHex,
                       "000001fffe000000000000000000000000000000000000000000000000000000")
    }
}
