import DilithionWire
import XCTest

/// Hashes, compact targets, the C++ chain-work formula, merkle trees, addresses and the network
/// parameters' genesis blocks.
final class ChainPrimitivesTests: XCTestCase {
    func testHashDisplayAndInternalOrder() throws {
        let display = "0000009eaa5e7781ba6d14525c3f75c35444045b21ddafbbea61090db99b0bc3"
        let hash = try XCTUnwrap(Hash256(displayHex: display))
        XCTAssertEqual(hash.displayHex, display)
        XCTAssertEqual(hash.internalHex, "c30b9bb90d0961eabbafdd215b044454c3753f5c52146dba81775eaa9e000000")
        XCTAssertEqual(Hash256(internalBytes: hash.internalBytes), hash)
        XCTAssertNil(Hash256(displayHex: "00"))
        XCTAssertNil(Hash256(displayHex: String(repeating: "g", count: 64)))
        // Byte 31 is the most significant for comparisons.
        XCTAssertLessThan(Hash256(w0: .max, w1: 0, w2: 0, w3: 0), Hash256(w0: 0, w1: 0, w2: 0, w3: 1))
    }

    func testCompactTargetDecodingAndEncoding() throws {
        XCTAssertEqual(CompactTarget(bits: 0x1d00ffff).target?.displayHex,
                       "00000000ffff0000000000000000000000000000000000000000000000000000")
        XCTAssertEqual(CompactTarget(bits: 0x207fffff).target?.displayHex,
                       "7fffff0000000000000000000000000000000000000000000000000000000000")
        XCTAssertEqual(CompactTarget(bits: 0x03123456).target, Hash256(w0: 0x123456, w1: 0, w2: 0, w3: 0))
        XCTAssertEqual(CompactTarget(bits: 0x02123456).target, Hash256(w0: 0x1234, w1: 0, w2: 0, w3: 0))
        XCTAssertNil(CompactTarget(bits: 0x1d000000).target, "zero word")
        XCTAssertNil(CompactTarget(bits: 0x00ffffff).target, "zero size")
        XCTAssertNil(CompactTarget(bits: 0x21010000).target, "size > 32")
        for bits: UInt32 in [0x1d00ffff, 0x1e01fffe, 0x1d56bc1f, 0x207fffff, 0x1b0404cb] {
            let target = try XCTUnwrap(CompactTarget(bits: bits).target)
            XCTAssertEqual(CompactTarget(target: target).bits, bits, String(bits, radix: 16))
        }
    }

    func testChainWorkFollowsTheCppFormula() {
        // PROTOCOL.md §4.3: genesis 0x1d00ffff + block 0x1d56bc1f = 0x102f4971777ae · 2^24.
        let genesis = CompactTarget(bits: 0x1d00ffff).blockWork
        XCTAssertEqual(genesis.description, "1000100010001000000")
        let total = genesis + CompactTarget(bits: 0x1d56bc1f).blockWork
        XCTAssertEqual(total.description, "102f4971777ae000000")
        // Zero target or zero mantissa: all 0xFF, and sums saturate.
        XCTAssertEqual(CompactTarget(bits: 0x1d000000).blockWork, .maximum)
        XCTAssertEqual(CompactTarget(bits: 0x00ffffff).blockWork, .maximum)
        XCTAssertEqual(ChainWork.maximum + genesis, .maximum)
        // Size 32 puts the quotient at offset 0; size 4 puts it at offset 28, where its top 4 bytes fall off.
        XCTAssertEqual(CompactTarget(bits: 0x20000001).blockWork.description, "ffffffffffffffff")
        XCTAssertEqual(CompactTarget(bits: 0x04000001).blockWork.description,
                       "ffffffff" + String(repeating: "0", count: 56))
    }

    func testMerkleRootOfSeveralLeaves() {
        let leaves = (1...5).map { Hash256(w0: UInt64($0), w1: 0, w2: 0, w3: 0) }
        func parent(_ a: Hash256, _ b: Hash256) -> Hash256 { SHA3.hash(a.internalBytes + b.internalBytes) }
        XCTAssertEqual(Merkle.root([leaves[0]]), leaves[0])
        XCTAssertEqual(Merkle.root(Array(leaves[0..<2])), parent(leaves[0], leaves[1]))
        let threeLevel = parent(parent(leaves[0], leaves[1]), parent(leaves[2], leaves[2]))
        XCTAssertEqual(Merkle.root(Array(leaves[0..<3])), threeLevel)
        let ab = parent(leaves[0], leaves[1]), cd = parent(leaves[2], leaves[3]), ee = parent(leaves[4], leaves[4])
        XCTAssertEqual(Merkle.root(leaves), parent(parent(ab, cd), parent(ee, ee)))
    }

    func testAddressesTextAndRoutability() throws {
        let v4 = try XCTUnwrap(NetAddress(host: "10.20.30.40", port: 8444))
        XCTAssertTrue(v4.isIPv4)
        XCTAssertEqual(v4.description, "10.20.30.40:8444")
        XCTAssertFalse(v4.isRoutable, "private range")
        let routable = NetAddress(services: 1, ipv4: (11, 22, 33, 44), port: 8444)
        XCTAssertTrue(routable.isRoutable)
        XCTAssertEqual(NetAddress(host: routable.host, port: 8444), routable, "text round trip")
        for host in ["127.0.0.1", "10.1.2.3", "192.168.1.1", "172.20.0.1", "0.0.0.0", "169.254.1.1", "100.64.0.1", "::1", "fe80::1", "fd00::5"] {
            XCTAssertFalse(try XCTUnwrap(NetAddress(host: host, port: 8444)).isRoutable, host)
        }
        XCTAssertFalse(NetAddress(services: 1, ipv4: (11, 22, 33, 44), port: 0).isRoutable, "port 0")
        let v6 = try XCTUnwrap(NetAddress(host: "[2a01:4f8::1:2]", port: 9444))
        XCTAssertEqual(v6.description, "[2a01:4f8::1:2]:9444")
        XCTAssertTrue(v6.isRoutable)
        XCTAssertEqual(NetAddress(host: "::ffff:10.2.3.4", port: 1)?.host, "10.2.3.4")
        for bad in ["10.2.3", "10.2.3.256", "::1::2", "hello", "1:2:3:4:5:6:7:8:9", ""] {
            XCTAssertNil(NetAddress(host: bad, port: 1), bad)
        }
    }

    func testNetworkParametersGenesisBlocksHashAsDeclared() throws {
        for network in [Network.testnet, .dilv, .regtest] {
            let parameters = network.parameters
            let genesis = parameters.genesisBlock
            XCTAssertEqual(try genesis.header.hash(), parameters.genesisHash, "\(network)")
            let block = try Block(message: genesis)
            XCTAssertEqual(block.computedMerkleRoot, genesis.header.merkleRoot, "\(network)")
            XCTAssertEqual(Network(magic: parameters.magic), network)
        }
        let mainnet = Network.mainnet.parameters
        XCTAssertEqual(mainnet.genesisBlockPayload.count, 221)
        XCTAssertFalse(mainnet.genesisBlock.header.isVDF)
        XCTAssertEqual(Network.mainnet.magic.wireBytes, [0x02, 0x41, 0x71, 0xD1])
        XCTAssertEqual(Network.testnet.magic.wireBytes, [0xFA, 0xBF, 0xB5, 0xDA])
        XCTAssertEqual(Network.dilv.magic.wireBytes, [0x00, 0xD1, 0x7F, 0xD1])
        XCTAssertEqual(Network.regtest.magic.wireBytes, [0xDA, 0xB5, 0xBF, 0xFA])
        XCTAssertEqual(Network.dilv.parameters.minimumPeerProtocolVersion, 70010)
        XCTAssertTrue(Network.regtest.parameters.seeds.isEmpty, "regtest never dials seeds")
    }

    func testRegtestGenesisCommitsToItsVDFProof() throws {
        let block = RegtestGenesis.block
        let commitment = try XCTUnwrap(VDFCommitment.extract(fromScriptSig: block.transactions[0].inputs[0].scriptSig))
        XCTAssertEqual(commitment.proof.count, 200)
        XCTAssertEqual(commitment.output, block.header.vdfOutput)
        XCTAssertEqual(commitment.proofHash, block.header.vdfProofHash)
        XCTAssertTrue(block.transactions[0].isCoinbase)
        let hash = try block.header.hash()
        XCTAssertTrue(block.header.meetsTarget(hash: hash) || block.header.isVDF)
    }
}
