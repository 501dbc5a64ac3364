import DilithionChain
import DilithionNet
import DilithionTestKit
import DilithionWire
import Foundation
import Logging
import XCTest

@testable import DilithionNode

/// The ``CompactRelay`` alone on a ``ManualClock``: a chain state on disk, a coordinator and a
/// ``RecordingSyncNetwork`` instead of sockets. Deadlines come due because the test moves the
/// clock; nothing waits.
final class CompactRelayRuleTests: XCTestCase {
    private var directories: [String] = []
    private let generator = RegtestChainGenerator(seed: 0xB7)
    private let sender = PeerID(rawValue: 1)
    private let other = PeerID(rawValue: 2)

    override func tearDown() {
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
        directories.removeAll()
    }

    private struct Rig {
        let relay: CompactRelay
        let sync: SyncCoordinator
        let network: RecordingSyncNetwork
        let clock: ManualClock
        let chain: ChainState
    }

    private static let otherAgent = "/Dilithion:test/"
    private static let ourAgent = "/dilithion-swift:test/"

    /// A chain of 5 blocks, a coordinator out of initial block download (the wall clock is the tip's
    /// time) and a relay, with `peers` established in order, by default as peers of another
    /// implementation (they get short ids, so their compact blocks may need `getblocktxn`).
    private func rig(peers: [PeerID], userAgent: (PeerID) -> String = { _ in otherAgent }) throws -> Rig {
        let directory = NSTemporaryDirectory() + "dilithion-relay-\(UUID().uuidString)"
        directories.append(directory)
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        try generator.generate(count: 5, onto: chain)
        let network = RecordingSyncNetwork()
        let clock = ManualClock()
        let wall = Int64(chain.record(for: chain.tip.hash)!.header.time) + 60
        var logger = Logger(label: "test.relay")
        logger.logLevel = ProcessInfo.processInfo.environment["DILITHION_TEST_LOG"] == nil ? .critical : .debug
        let sync = SyncCoordinator(
            chain: chain, network: network, clock: clock, wallTime: { wall }, settings: SyncSettings(), logger: logger)
        let relay = CompactRelay(chain: chain, network: network, sync: sync, wallTime: { wall }, logger: logger)
        sync.newTipPush = relay
        for (index, peer) in peers.enumerated() {
            let version = VersionMessage(
                protocolVersion: 70011, services: 1, timestamp: 0,
                receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
                sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: UInt64(index + 1),
                userAgent: userAgent(peer), startHeight: 5, relay: true,
                genesisHash: Network.regtest.parameters.genesisHash)
            relay.peerEstablished(peer, userAgent: version.userAgent)
            sync.peerEstablished(peer, version: version, host: "127.0.0.\(index + 40)")
        }
        _ = network.takeSent()
        return Rig(relay: relay, sync: sync, network: network, clock: clock, chain: chain)
    }

    /// The next block on the rig's tip (several transactions) and its compact form with only the
    /// coinbase prefilled: rebuilding it needs `getblocktxn` (the relay keeps no mempool).
    private func nextCompactBlock(_ rig: Rig) throws -> (BlockMessage, CompactBlockMessage, Hash256) {
        let tip = rig.chain.tip
        let time = try XCTUnwrap(rig.chain.record(for: tip.hash)).header.time + 60
        let message = generator.makeBlock(parent: tip.hash, height: tip.height + 1, size: 50_000, time: time)
        let block = try Block(message: message)
        XCTAssertGreaterThan(block.transactions.count, 1)
        return (message, CompactBlockBuilder.compactBlock(for: block, nonce: 11, prefill: .coinbase), try message.header.hash())
    }

    private func blockTransactionRequests(_ sent: [(peer: PeerID, message: Message)], to peer: PeerID) -> [GetBlockTransactionsMessage] {
        sent.compactMap { entry in
            guard entry.peer == peer, case .getblocktxn(let request) = entry.message else { return nil }
            return request
        }
    }

    /// A `getblocktxn` nobody answers: nothing happens before ``CompactRelay/blockTransactionsTimeout``;
    /// at the deadline the rebuild is given up, counted, and the full block asked of the sender with
    /// `getdata`; the block that comes stores the tip, and a `blocktxn` arriving after that is
    /// ignored as unrequested.
    func testAnUnansweredGetblocktxnFallsBackToGetdataAtTheDeadline() throws {
        let rig = try rig(peers: [sender])
        let (message, compact, hash) = try nextCompactBlock(rig)
        rig.relay.receivedCompactBlock(compact, from: sender)
        let asked = blockTransactionRequests(rig.network.takeSent(), to: sender)
        XCTAssertEqual(asked.map(\.blockHash), [hash])
        XCTAssertEqual(rig.relay.statistics["getblocktxn-sent"], 1)

        rig.clock.advance(by: CompactRelay.blockTransactionsTimeout - .milliseconds(1))
        rig.sync.tick(now: rig.clock.now)
        XCTAssertTrue(rig.network.takeSent().blocksRequested(of: sender).isEmpty, "the coordinator does not race the blocktxn")
        rig.relay.tick(now: rig.clock.now)
        XCTAssertTrue(rig.network.takeSent().isEmpty, "still waiting just before the deadline")
        XCTAssertNil(rig.relay.statistics["getblocktxn-timeout"])

        rig.clock.advance(by: .milliseconds(1))
        rig.relay.tick(now: rig.clock.now)
        XCTAssertEqual(rig.network.takeSent().blocksRequested(of: sender), [hash], "the whole block, from the sender")
        XCTAssertEqual(rig.relay.statistics["getblocktxn-timeout"], 1)
        rig.relay.tick(now: rig.clock.now)
        XCTAssertTrue(rig.network.takeSent().isEmpty, "given up once")

        rig.sync.receivedBlock(message, from: sender)
        XCTAssertEqual(rig.chain.tip.hash, hash)
        let block = try Block(message: message)
        rig.relay.receivedBlockTransactions(
            BlockTransactionsMessage(blockHash: hash, transactions: Array(block.transactions.dropFirst())), from: sender)
        XCTAssertEqual(rig.network.ignoredCount("blocktxn-unrequested"), 1)
        XCTAssertNil(rig.relay.statistics["completed-by-blocktxn"])
        XCTAssertTrue(rig.network.penalties.isEmpty)
    }

    /// A `getblocktxn` answered in time completes the block and sets no deadline off; one whose
    /// block came meanwhile from another peer is dropped at the deadline without a `getdata`.
    func testAnAnsweredOrSupersededGetblocktxnFetchesNothingMore() throws {
        let rig = try rig(peers: [sender, other])
        let (message, compact, hash) = try nextCompactBlock(rig)
        rig.relay.receivedCompactBlock(compact, from: sender)
        let request = try XCTUnwrap(blockTransactionRequests(rig.network.takeSent(), to: sender).first)
        let block = try Block(message: message)
        rig.relay.receivedBlockTransactions(try CompactBlockBuilder.transactions(of: block, answering: request), from: sender)
        XCTAssertEqual(rig.chain.tip.hash, hash)
        XCTAssertEqual(rig.relay.statistics["completed-by-blocktxn"], 1)
        _ = rig.network.takeSent()
        rig.clock.advance(by: CompactRelay.blockTransactionsTimeout * 2)
        rig.relay.tick(now: rig.clock.now)
        XCTAssertTrue(rig.network.takeSent().blocksRequested(of: sender).isEmpty)

        let (secondMessage, secondCompact, secondHash) = try nextCompactBlock(rig)
        rig.relay.receivedCompactBlock(secondCompact, from: sender)
        XCTAssertEqual(blockTransactionRequests(rig.network.takeSent(), to: sender).count, 1)
        rig.sync.receivedBlock(secondMessage, from: other)
        XCTAssertEqual(rig.chain.tip.hash, secondHash)
        _ = rig.network.takeSent()
        rig.clock.advance(by: CompactRelay.blockTransactionsTimeout)
        rig.relay.tick(now: rig.clock.now)
        let sent = rig.network.takeSent()
        XCTAssertTrue(sent.blocksRequested(of: sender).isEmpty && sent.blocksRequested(of: other).isEmpty)
        XCTAssertEqual(rig.relay.statistics["getblocktxn-superseded"], 1)
        XCTAssertNil(rig.relay.statistics["getblocktxn-timeout"])
    }

    // MARK: High-bandwidth places

    private func highBandwidthOffers(_ sent: [(peer: PeerID, message: Message)]) -> [(PeerID, Bool)] {
        sent.compactMap { entry in
            guard case .sendcmpct(let offer) = entry.message else { return nil }
            return (entry.peer, offer.highBandwidth != 0)
        }
    }

    /// Up to ``PushPeerSelection/maxOfOurs`` peers are asked to push, at most
    /// ``PushPeerSelection/maxOfOthers`` of them of another implementation; a peer that
    /// delivers a new tip first takes the place of the longest-serving one of its kind when those
    /// are at their limit, else of the longest-serving one of all.
    func testHighBandwidthPlacesForOurPeersAndOthers() throws {
        let others = (1...4).map { PeerID(rawValue: $0) }
        let ours = (5...13).map { PeerID(rawValue: $0) }
        XCTAssertEqual(PushPeerSelection.maxOfOthers, 3)
        XCTAssertEqual(PushPeerSelection.maxOfOurs, 8)
        let rig = try rig(peers: others + ours) { others.contains($0) ? Self.otherAgent : Self.ourAgent }
        XCTAssertEqual(rig.relay.highBandwidthPeerIDs, Array(others.prefix(3)) + Array(ours.prefix(5)),
                       "three others, then ours up to eight in all")

        rig.relay.promote(others[3])
        XCTAssertEqual(highBandwidthOffers(rig.network.takeSent()).map { "\($0.0.rawValue):\($0.1)" }, ["1:false", "4:true"],
                       "another implementation's newcomer replaces the longest-serving one of its kind")
        rig.relay.promote(ours[5])
        XCTAssertEqual(highBandwidthOffers(rig.network.takeSent()).map { "\($0.0.rawValue):\($0.1)" }, ["2:false", "10:true"],
                       "with all eight places taken, the longest-serving one of all makes room")
        rig.relay.promote(ours[0])
        XCTAssertTrue(rig.network.takeSent().isEmpty, "one already pushing only moves to the back")
        XCTAssertEqual(rig.relay.highBandwidthPeerIDs.map(\.rawValue), [3, 6, 7, 8, 9, 4, 10, 5])

        rig.relay.peerLeft(PeerID(rawValue: 3))
        rig.relay.promote(ours[6])
        XCTAssertEqual(highBandwidthOffers(rig.network.takeSent()).map { "\($0.0.rawValue):\($0.1)" }, ["11:true"],
                       "a departed peer's place is taken without demoting anyone")
        XCTAssertEqual(rig.relay.statistics["push-peer-promoted"], 3)
        XCTAssertEqual(rig.relay.statistics["push-peer-demoted"], 2)
    }

    /// A block we made goes as `cmpctblock` to every peer of ours, asked or not; a peer of another
    /// implementation gets it only if it asked.
    func testOurOwnBlockIsPushedToEveryPeerOfOurs() throws {
        let ours = PeerID(rawValue: 1), theirs = PeerID(rawValue: 2)
        let rig = try rig(peers: [ours, theirs]) { $0 == ours ? Self.ourAgent : Self.otherAgent }
        let tip = try XCTUnwrap(rig.chain.record(for: rig.chain.tip.hash))
        XCTAssertEqual(rig.relay.pushNewTip(tip, block: nil, to: [ours, theirs], deliveredBy: nil), [ours])
        XCTAssertEqual(rig.network.takeSent().filter { if case .cmpctblock = $0.message { true } else { false } }.map(\.peer), [ours])
        XCTAssertEqual(rig.relay.pushNewTip(tip, block: nil, to: [ours, theirs], deliveredBy: ours), [],
                       "a block from a peer goes only to those that asked")
        XCTAssertEqual(rig.relay.statistics["pushed-own"], 1)
    }
}
