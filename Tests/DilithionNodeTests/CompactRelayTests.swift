import DilithionChain
import DilithionNet
import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

@testable import DilithionNode

/// BIP152 high-bandwidth relay between real nodes over loopback, and against a kit peer playing a
/// C++ node or a hostile one. Assertions are on what crossed the wire and the relay's counters,
/// never on timing.
final class CompactRelayTests: XCTestCase {
    var harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
        super.tearDown()
    }

    private func established(_ node: Node) -> [PeerInfo] { node.peerInfo().filter(\.handshakeComplete) }

    private func received(_ node: Node, _ command: String) -> Int {
        node.metricsSnapshot().messagesReceivedByCommand[command] ?? 0
    }

    /// Two of our nodes ask each other for pushes; blocks generated at either end arrive as
    /// `cmpctblock` with every transaction prefilled: rebuilt at once, no `getdata`, no `block`.
    func testBlocksBetweenOurNodesArePushedPrefilledWithNoRoundTrip() throws {
        let a = try harness.makeNode()
        let b = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: a))"])
        NodeHarness.wait("push mode both ways") { a.compactRelay.pushPeerCount == 1 && b.compactRelay.pushPeerCount == 1 }
        for round in 1...3 {
            let hash = try a.generate(blocks: 1, blockSize: 5_000)[0]
            NodeHarness.wait("block \(round) at b") { b.blockchainInfo().bestBlockHash == hash }
        }
        let back = try b.generate(blocks: 1, blockSize: 5_000)[0]
        NodeHarness.wait("b's block at a") { a.blockchainInfo().bestBlockHash == back }
        XCTAssertEqual(a.compactRelayCounts["pushed-own"], 3)
        let metrics = a.metricsSnapshot()
        XCTAssertEqual(metrics.compactRelayEvents["pushed-own"], 3, "the relay's counters reach /metrics")
        XCTAssertEqual(metrics.compactRelayEvents["rebuilt-at-once"], 1)
        XCTAssertEqual(metrics.pushPeersOut, 1, "b asked a to push")
        XCTAssertEqual(metrics.pushPeersIn, 1, "a asked b to push")
        XCTAssertEqual(b.compactRelayCounts["rebuilt-at-once"], 3)
        XCTAssertEqual(a.compactRelayCounts["rebuilt-at-once"], 1)
        XCTAssertEqual(received(b, Command.block), 0, "no full block crossed")
        XCTAssertEqual(received(a, Command.getdata) + received(b, Command.getdata), 0, "no getdata round trip")
        XCTAssertEqual(received(a, Command.getblocktxn), 0)
    }

    /// A line A ← B ← C: B forwards what A pushed (after storing it) to C, also as a push.
    func testPushedBlocksAreForwardedAfterValidation() throws {
        let a = try harness.makeNode()
        let b = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: a))"])
        let c = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: b))"])
        NodeHarness.wait("push mode on the line") { b.compactRelay.pushPeerCount == 2 && c.compactRelay.pushPeerCount == 1 }
        for round in 1...4 {
            let hash = try a.generate(blocks: 1, blockSize: 1_000)[0]
            NodeHarness.wait("block \(round) at c") { c.blockchainInfo().bestBlockHash == hash }
        }
        XCTAssertEqual(b.compactRelayCounts["pushed"], 4, "b pushes each block on, to c only")
        XCTAssertEqual(c.compactRelayCounts["rebuilt-at-once"], 4)
        XCTAssertEqual(received(c, Command.block) + received(b, Command.block), 0)
    }

    /// A node that is not ours (another user agent) gets the coinbase prefilled and short ids, as
    /// the C++ node expects; with no mempool it asks the rest with `getblocktxn` and is answered.
    func testAPeerOfAnotherImplementationRebuildsWithGetblocktxn() throws {
        let a = try harness.makeNode()
        let b = try harness.makeNode(connect: ["127.0.0.1:\(harness.port(of: a))"]) { $0.userAgent = "/Dilithion:test/" }
        NodeHarness.wait("push mode") { a.compactRelay.pushPeerCount == 1 }
        for round in 1...3 {
            // About 50 kB: the coinbase and three fillers (scripts are at most 20 000 bytes).
            let hash = try a.generate(blocks: 1, blockSize: 50_000)[0]
            NodeHarness.wait("block \(round) at b") { b.blockchainInfo().bestBlockHash == hash }
        }
        XCTAssertEqual(b.compactRelayCounts["getblocktxn-sent"], 3)
        XCTAssertEqual(b.compactRelayCounts["completed-by-blocktxn"], 3)
        XCTAssertEqual(a.compactRelayCounts["blocktxn-served"], 3)
        XCTAssertEqual(received(b, Command.block), 0)
    }

    // MARK: A kit peer

    /// A node out of initial block download and a kit peer with a completed handshake.
    private func nodeAndPeer(sourceHost: String = "127.0.0.1") throws -> (Node, FakePeer) {
        let node = try harness.makeNode()
        _ = try node.generate(blocks: 1, blockSize: 300)
        let peer = try FakePeer(port: harness.port(of: node), sourceHost: sourceHost)
        let handshake = peer.handshake()
        XCTAssertTrue(handshake.isComplete)
        NodeHarness.wait("established") { self.established(node).count == 1 }
        return (node, peer)
    }

    /// A block on `node`'s tip that nobody stored yet.
    private func nextBlock(on node: Node, size: Int = 300, variant: UInt64 = 7) throws -> (BlockMessage, Block, Hash256) {
        let tip = node.chain.tip
        let parentTime = try XCTUnwrap(node.chain.record(for: tip.hash)).header.time
        let message = RegtestChainGenerator(seed: 0xC0).makeBlock(
            parent: tip.hash, height: tip.height + 1, size: size, time: parentTime + 1, variant: variant)
        return (message, try Block(message: message), try message.header.hash())
    }

    private func frames(_ peer: FakePeer, until command: String) -> [Frame] {
        peer.receive(for: 30) { $0.contains { $0.command == command } }.frames
    }

    /// Every established peer gets `sendcmpct(version 1)`; one that asks for pushes gets new blocks as
    /// `cmpctblock` (coinbase prefilled, short ids that match) and its `getblocktxn` answered; one
    /// that did not opt in gets `headers` and fetches with `getdata`.
    func testSendcmpctIsSentAndOnlyPeersThatOptedInArePushedTo() throws {
        let (node, pusher) = try nodeAndPeer()
        let quiet = try FakePeer(port: harness.port(of: node))
        XCTAssertTrue(quiet.handshake().isComplete)
        NodeHarness.wait("both established") { self.established(node).count == 2 }
        XCTAssertTrue(quiet.send(.sendheaders))
        let seen = frames(pusher, until: Command.sendcmpct).filter { $0.command == Command.sendcmpct }
        guard case .sendcmpct(let offer)? = try seen.first.map({ try Message.decode($0) }) else { return XCTFail("no sendcmpct") }
        XCTAssertEqual(offer.version, 1)
        XCTAssertTrue(pusher.send(.sendcmpct(SendCompactMessage(highBandwidth: true, version: 1))))
        NodeHarness.wait("push mode") { node.compactRelay.pushPeerCount == 1 }
        // sendheaders is processed before anything the quiet peer sends after it: a ping round trip.
        XCTAssertTrue(quiet.sendPing(nonce: 5))
        _ = frames(quiet, until: Command.pong)

        let hash = try node.generate(blocks: 1, blockSize: 50_000)[0]
        let block = try XCTUnwrap(node.compactRelay.storedBlock(hash))
        let pushed = frames(pusher, until: Command.cmpctblock).compactMap { frame -> CompactBlockMessage? in
            guard case .cmpctblock(let compact)? = try? Message.decode(frame) else { return nil }
            return compact
        }
        let compact = try XCTUnwrap(pushed.first)
        XCTAssertEqual(try compact.header.hash(), hash)
        XCTAssertEqual(compact.prefilled.map(\.index), [0], "the coinbase prefilled")
        let hasher = ShortIDHasher(compact)
        XCTAssertEqual(compact.shortIDs, block.txids.dropFirst().map { hasher.shortID($0) })
        var rebuild = try CompactBlockReconstruction(compact, blockHash: hash)
        XCTAssertTrue(pusher.send(.getblocktxn(rebuild.request)))
        let answer = frames(pusher, until: Command.blocktxn).compactMap { frame -> BlockTransactionsMessage? in
            guard case .blocktxn(let response)? = try? Message.decode(frame) else { return nil }
            return response
        }
        XCTAssertEqual(try rebuild.fill(try XCTUnwrap(answer.first)), block)

        let announced = frames(quiet, until: Command.headers)
        XCTAssertTrue(announced.contains { $0.command == Command.headers })
        XCTAssertFalse(announced.contains { $0.command == Command.cmpctblock }, "no push without opting in")
    }

    /// A compact block whose transactions do not match its merkle root (an honest sender's short-id
    /// collision looks the same) makes the node fetch the full block with `getdata`, no points.
    func testARebuildThatFailsItsMerkleRootFallsBackToGetdata() throws {
        let (node, peer) = try nodeAndPeer()
        let (message, block, hash) = try nextBlock(on: node, size: 5_000)
        var compact = CompactBlockBuilder.compactBlock(for: block, nonce: 1, prefill: .everything)
        let altered = compact.prefilled[1].transaction
        compact.prefilled[1].transaction = Transaction(
            version: altered.version + 1, inputs: altered.inputs, outputs: altered.outputs, lockTime: altered.lockTime)
        XCTAssertTrue(peer.send(.cmpctblock(compact)))
        let asked = frames(peer, until: Command.getdata).compactMap { frame -> [InventoryItem]? in
            guard case .getdata(let items)? = try? Message.decode(frame) else { return nil }
            return items
        }.flatMap { $0 }
        XCTAssertEqual(Set(asked.map(\.hash)), [hash])
        XCTAssertTrue(peer.send(.block(message)))
        NodeHarness.wait("the full block stored") { node.chain.tip.hash == hash }
        XCTAssertEqual(node.compactRelayCounts["fallback-getdata"], 1)
        XCTAssertTrue(node.misbehaviourCounters.isEmpty)
    }

    /// A compact block whose parent the node lacks is answered with `getheaders` (no points); an
    /// unsolicited `blocktxn` is ignored and counted; a compact block with a prefilled index given
    /// twice costs 100 points: the peer is disconnected and banned.
    func testMalformedAndOutOfOrderCompactInput() throws {
        let (node, peer) = try nodeAndPeer(sourceHost: "127.0.0.2")
        let (_, block, hash) = try nextBlock(on: node)
        let orphanHeader = BlockHeader(
            version: 4, previousBlockHash: Hash256(w0: 1, w1: 2, w2: 3, w3: 4), merkleRoot: block.header.merkleRoot,
            time: block.header.time, bits: block.header.bits, nonce: 0, vdfOutput: block.header.vdfOutput,
            vdfProofHash: block.header.vdfProofHash)
        let orphan = CompactBlockMessage(
            header: orphanHeader, nonce: 2, prefilled: [.init(index: 0, transaction: block.transactions[0])], shortIDs: [])
        XCTAssertTrue(peer.send(.cmpctblock(orphan)))
        XCTAssertTrue(frames(peer, until: Command.getheaders).contains { $0.command == Command.getheaders })

        XCTAssertTrue(peer.send(.blocktxn(BlockTransactionsMessage(blockHash: hash, transactions: block.transactions))))
        NodeHarness.wait("unsolicited blocktxn counted") { node.ignoredMessageCounts["blocktxn-unrequested"] == 1 }
        XCTAssertTrue(node.misbehaviourCounters.isEmpty)

        let coinbase = CompactBlockMessage.Prefilled(index: 0, transaction: block.transactions[0])
        let twice = CompactBlockMessage(header: block.header, nonce: 3, prefilled: [coinbase, coinbase], shortIDs: [])
        XCTAssertTrue(peer.send(.cmpctblock(twice)))
        XCTAssertTrue(peer.receive(for: 30).closed, "disconnected")
        XCTAssertEqual(node.misbehaviourCounters["compact-duplicate-prefilled-index"], 1)
        XCTAssertNotEqual(node.chain.tip.hash, hash, "nothing of it stored")
        XCTAssertTrue(node.listBanned().contains { $0.address.hasPrefix("127.0.0.2") })
    }
}
