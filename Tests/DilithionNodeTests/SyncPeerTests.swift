import DilithionChain
import DilithionNet
import DilithionNode
import DilithionTestKit
import DilithionWire
import XCTest

/// Choosing the headers-sync peer.
final class SyncPeerTests: XCTestCase {
    let harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
    }

    /// A fresh node takes the first peer for headers sync even when it claims height 0. When that peer
    /// never answers and a peer claiming a chain arrives, the newcomer takes over at once. The node's
    /// clock is manual and never moves, so only the replacement (not the 120 s silent-peer check) can
    /// let the sync finish.
    func testAPeerClaimingMoreReplacesASilentHeightZeroSyncPeer() throws {
        let clock = ManualClock()
        let empty = try harness.makeNode(clock: clock)
        let silent = try FakePeer(port: harness.port(of: empty))
        XCTAssertTrue(silent.handshake(version: FakePeer.makeVersion(port: harness.port(of: empty), startHeight: 0)).isComplete)
        // The silent peer got the getheaders: it holds the sync slot now.
        XCTAssertTrue(silent.receive(for: 10) { $0.contains { $0.command == Command.getheaders } }.frames
            .contains { $0.command == Command.getheaders })
        let server = try harness.makeNode()
        _ = try server.generate(blocks: 30, blockSize: 1_000)
        try server.addNode("127.0.0.1:\(harness.port(of: empty))", command: .onetry)
        NodeHarness.wait("the empty node syncs from the server") { empty.blockchainInfo().blocks == 30 }
        XCTAssertEqual(empty.peerInfo().count, 2, "the silent peer is still connected, just not in the way")
    }

    /// With the headers cap at its minimum (one batch above the stored tip), headers sync pauses
    /// at every batch and resumes as blocks are stored, until the whole chain is synced.
    func testASyncLongerThanTheHeadersCapPausesAndResumesToTheTip() throws {
        let server = try harness.makeNode()
        let hashes = try server.generate(blocks: 5_000, blockSize: 250)
        let client = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: server))"]) {
            $0.maxHeadersAheadOfTip = Limits.maxHeaders
        }
        var mostAhead = 0
        NodeHarness.wait("the capped node syncs 5,000 blocks", timeout: 120) {
            let info = client.blockchainInfo()
            mostAhead = max(mostAhead, info.headers - info.blocks)
            return info.blocks == 5_000
        }
        XCTAssertEqual(client.blockchainInfo().bestBlockHash, hashes.last)
        XCTAssertLessThanOrEqual(mostAhead, Limits.maxHeaders, "never more headers above the blocks than the cap")
    }

    /// A peer sends a heavier fork of free VDF headers and withholds its blocks. The client's active
    /// tip never leaves the honest chain (reported blocks and best block stay honest; only `headers`
    /// shows the fork); the client asks only that peer for the fork's blocks, drops it as a staller,
    /// keeps following the honest chain while the fork is still its best header, and once the fork's
    /// lifetime passes with nothing delivered, prunes it and strikes the withholder.
    func testAHeavierForkNobodyServesNeverMovesTheTipAndExpires() throws {
        let server = try harness.makeNode()
        let honest = try server.generate(blocks: 30, blockSize: 500)
        let client = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: server))"]) {
            $0.unbackedBranchLifetimeSeconds = 2
            $0.timeouts.tick = .milliseconds(200)
        }
        NodeHarness.wait("the client syncs the honest chain") { client.blockchainInfo().blocks == 30 }

        // 60 headers from genesis: more work than the 30 honest blocks, and no block behind them.
        let generator = RegtestChainGenerator(seed: 0xFA4E)
        var fork: [BlockHeader] = []
        var parent = Network.regtest.parameters.genesisHash
        for height in 1...60 {
            let block = generator.makeBlock(parent: parent, height: height, size: 300,
                                            time: RegtestGenesis.time + UInt32(60 * height), variant: 7)
            fork.append(block.header)
            parent = try block.header.hash()
        }
        let attacker = try FakePeer(port: harness.port(of: client))
        XCTAssertTrue(attacker.handshake(version: FakePeer.makeVersion(port: harness.port(of: client), startHeight: 60)).isComplete)
        XCTAssertTrue(attacker.send(.headers(fork)))
        let asked = attacker.receive(for: 10) { $0.contains { $0.command == Command.getdata } }
        XCTAssertTrue(asked.frames.contains { $0.command == Command.getdata }, "the client asks the fork's only holder")
        NodeHarness.wait("the fork is the best header") { client.blockchainInfo().headers == 60 }
        var info = client.blockchainInfo()
        XCTAssertEqual(info.blocks, 30, "a header-only fork never moves the active tip")
        XCTAssertEqual(info.bestBlockHash, honest.last)
        XCTAssertFalse(info.initialBlockDownload)

        let next = try server.generate(blocks: 1, blockSize: 500)
        NodeHarness.wait("the client follows the honest chain") { client.blockchainInfo().bestBlockHash == next.last }
        NodeHarness.wait("the fork expires") { client.blockchainInfo().headers == 31 }
        info = client.blockchainInfo()
        XCTAssertEqual(info.blocks, 31)
        // The stall timeout and the branch lifetime are both 2 s: the withholder's stall disconnect
        // may come before or after the expiry, so it is waited for, not assumed.
        NodeHarness.wait("the withholder is disconnected for stalling") {
            (client.metricsSnapshot().disconnectsByReason["stalling"] ?? 0) >= 1
        }
        XCTAssertEqual(client.metricsSnapshot().disconnectsByReason["stalling"] ?? 0, 1, "only the withholding peer")
        NodeHarness.wait("the withholder is struck") { (client.misbehaviourCounters["withheld-branch"] ?? 0) == 1 }
        XCTAssertGreaterThanOrEqual(client.metricsSnapshot().prunedHeaders, 60)
    }
}
