import DilithionChain
import DilithionNode
import DilithionRandomX
import DilithionWire
import Foundation
import XCTest

/// Two nodes of ours on loopback running the legacy regtest chain (real RandomX, light mode): the
/// mainnet header path end to end, sockets, dispatcher, hashing workers and replay cache included.
final class LegacyHeadersLoopbackTests: XCTestCase {
    private let harness = NodeHarness()
    private var directories: [String] = []

    override func tearDown() {
        harness.shutdown()
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
        directories.removeAll()
    }

    /// A data directory holding a mined legacy regtest chain of `count` blocks.
    private func minedLegacyChain(_ count: Int) throws -> (directory: String, tip: Hash256) {
        let directory = NSTemporaryDirectory() + "dilithion-legacy-\(UUID().uuidString)"
        directories.append(directory)
        let hasher = RandomXHasher()
        let chain = try ChainState(directory: directory, configuration: .legacyRegtest(legacyHasher: hasher))
        let hashes = try LegacyChainGenerator(hasher: hasher, seed: 14).generate(count: count, onto: chain)
        try chain.store.checkpoint()
        return (directory, try XCTUnwrap(hashes.last))
    }

    /// The client hashes each header once on its hashing workers and takes every block's hash from
    /// the replay cache: RandomX hashes = headers, counted by the service, whatever the timing.
    func testANodeSyncsALegacyChainFromAnotherNodeOfOurs() throws {
        let mined = try minedLegacyChain(12)
        let server = try harness.makeNode {
            $0.dataDirectory = mined.directory
            $0.legacyRegtest = true
            $0.randomXMode = .light
        }
        XCTAssertEqual(server.chain.tip.hash, mined.tip)
        let client = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: server))"]) {
            $0.legacyRegtest = true
            $0.randomXMode = .light
        }
        NodeHarness.wait("the client syncs the legacy chain") { client.chain.tip.hash == mined.tip }
        XCTAssertEqual(client.chain.tip.height, 12)
        XCTAssertEqual(client.metricsSnapshot().legacyHashing?.hashes, 12)
        XCTAssertEqual(client.peerInfo().compactMap(\.legacyHashes), [12])
        XCTAssertTrue(client.misbehaviourCounters.isEmpty)
        XCTAssertTrue(server.misbehaviourCounters.isEmpty)
    }
}
