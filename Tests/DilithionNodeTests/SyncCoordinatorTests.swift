import DilithionTestKit
import DilithionChain
import DilithionNet
import DilithionWire
import Foundation
import Logging
import XCTest

@testable import DilithionNode

/// The ``SyncCoordinator`` alone: a chain state on disk, a ``RecordingSyncNetwork`` instead of
/// sockets, a ``ManualClock`` for the engine and a settable wall clock. Nothing waits: every step is
/// a call, every deadline comes due because the test moves the clock.
final class SyncCoordinatorTests: XCTestCase {
    /// A wall clock the test sets (Unix seconds).
    final class WallTime: @unchecked Sendable {
        private let lock = NSLock()
        private var seconds: Int64
        init(_ seconds: Int64) { self.seconds = seconds }
        var now: Int64 { lock.withLock { seconds } }
        func advance(_ delta: Int64) { lock.withLock { seconds += delta } }
    }

    private let directories = TemporaryDirectories()
    private let generator = RegtestChainGenerator(seed: 0x5C)

    override func tearDown() {
        directories.removeAll()
    }

    private func chainState() throws -> ChainState {
        try ChainState(directory: directories.make("dilithion-sync"), configuration: ChainConfiguration(network: .regtest))
    }

    private struct Rig {
        let sync: SyncCoordinator
        let network: RecordingSyncNetwork
        let clock: ManualClock
        let wall: WallTime
        let chain: ChainState
    }

    /// A coordinator over `chain` whose wall clock starts at `wallStart` (default: the tip's time,
    /// so the node is out of initial block download).
    private func rig(_ chain: ChainState, wallStart: Int64? = nil) -> Rig {
        let network = RecordingSyncNetwork()
        let clock = ManualClock()
        let wall = WallTime(wallStart ?? Int64(chain.record(for: chain.tip.hash)!.header.time))
        var logger = Logger(label: "test.sync")
        logger.logLevel = ProcessInfo.processInfo.environment["DILITHION_TEST_LOG"] == nil ? .critical : .debug
        var settings = SyncSettings()
        settings.maintenanceInterval = .seconds(1)
        let sync = SyncCoordinator(
            chain: chain, network: network, clock: clock, wallTime: { wall.now }, settings: settings, logger: logger)
        return Rig(sync: sync, network: network, clock: clock, wall: wall, chain: chain)
    }

    private func version(height: Int32, userAgent: String = "/Dilithion:test/") -> VersionMessage {
        VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: 1, userAgent: userAgent,
            startHeight: height, relay: true, genesisHash: Network.regtest.parameters.genesisHash)
    }

    private func block(_ hash: Hash256, in chain: ChainState) throws -> BlockMessage {
        let payload = try XCTUnwrap(try chain.blockPayload(hash: hash))
        guard case .block(let block) = try Message.decode(command: Command.block, payload: payload) else { throw XCTSkip("not a block") }
        return block
    }

    /// Free headers (no blocks) on `parent`, 1 s apart.
    private func freeHeaders(on parent: HeaderRecord, count: Int, tag: UInt64) -> [BlockHeader] {
        var headers = [BlockHeader]()
        var previous = parent.header
        var previousHash = parent.hash
        for _ in 0..<count {
            let header = BlockHeader(
                version: 4, previousBlockHash: previousHash, merkleRoot: Hash256(w0: tag, w1: UInt64(headers.count), w2: 1, w3: 2),
                time: previous.time + 1, bits: RegtestGenesis.bits, nonce: UInt32(truncatingIfNeeded: tag),
                vdfOutput: Hash256(w0: .max, w1: .max, w2: .max, w3: .max), vdfProofHash: Hash256(w0: tag, w1: 0, w2: 0, w3: 0))
            headers.append(header)
            previous = header
            previousHash = try! header.hash()
        }
        return headers
    }

    private let peerA = PeerID(rawValue: 1)
    private let peerB = PeerID(rawValue: 2)
    private let peerC = PeerID(rawValue: 3)

    // MARK: Headers sync and download

    /// A peer that claims more is asked for headers at once; its headers lead to `getdata` for the
    /// blocks it has; delivered blocks move the active tip to its header.
    func testHeadersSyncThenDownloadFromThePeerThatClaimsMore() throws {
        let server = try chainState()
        let hashes = try generator.generate(count: 40, onto: server)
        let node = rig(try chainState(), wallStart: Int64(server.record(for: hashes.last!)!.header.time))
        node.sync.peerEstablished(peerA, version: version(height: 40), host: "127.0.0.10")
        let asked = node.network.takeSent().headerRequests(to: peerA)
        XCTAssertEqual(asked.count, 1)
        XCTAssertEqual(asked.first?.locator, [Network.regtest.parameters.genesisHash])

        node.sync.receivedHeaders(server.headersForPeer(locator: asked[0].locator, stop: .zero), from: peerA)
        XCTAssertEqual(node.chain.bestHeader.height, 40)
        XCTAssertEqual(node.chain.tip.height, 0, "headers alone do not move the active tip")
        var delivered = 0
        for _ in 0..<40 where node.chain.tip.height < 40 {
            let requested = node.network.takeSent().blocksRequested(of: peerA)
            XCTAssertFalse(requested.isEmpty, "blocks are asked of the peer that has them")
            for hash in requested {
                node.sync.receivedBlock(try block(hash, in: server), from: peerA)
                delivered += 1
            }
        }
        XCTAssertEqual(delivered, 40, "each block asked once")
        XCTAssertEqual(node.chain.tip.hash, hashes.last)
        XCTAssertEqual(node.sync.facts(for: peerA)?.blocksInFlight, 0)
    }

    /// A peer that sits on requested blocks past the stall timeout is disconnected at the next tick;
    /// its blocks go to the other peer that has them.
    func testAStallerIsDisconnectedAndItsBlocksAreAskedOfAnother() throws {
        let server = try chainState()
        let hashes = try generator.generate(count: 20, onto: server)
        let node = rig(try chainState(), wallStart: Int64(server.record(for: hashes.last!)!.header.time))
        node.sync.peerEstablished(peerA, version: version(height: 20), host: "127.0.0.10")
        node.sync.receivedHeaders(server.headersForPeer(locator: [], stop: .zero), from: peerA)
        let heldByA = node.network.takeSent().blocksRequested(of: peerA)
        XCTAssertEqual(heldByA.count, 16)
        node.sync.peerEstablished(peerB, version: version(height: 20), host: "127.0.0.11")
        // B delivers what it is asked (the blocks A does not hold): it is no staller.
        for hash in node.network.takeSent().blocksRequested(of: peerB) {
            node.sync.receivedBlock(try block(hash, in: server), from: peerB)
        }
        _ = node.network.takeSent()

        node.clock.advance(by: .milliseconds(2_001))
        node.sync.tick(now: node.clock.now)
        XCTAssertEqual(node.network.disconnected.map(\.peer), [peerA])
        XCTAssertEqual(node.network.disconnected.first?.reason, .stalling)
        node.sync.peerLeft(peerA)
        // B finishes the download alone, and is asked for every block A held.
        var askedOfB = Set<Hash256>()
        for _ in 0..<20 where node.chain.tip.height < 20 {
            let requested = node.network.takeSent().blocksRequested(of: peerB)
            XCTAssertFalse(requested.isEmpty)
            askedOfB.formUnion(requested)
            for hash in requested { node.sync.receivedBlock(try block(hash, in: server), from: peerB) }
        }
        XCTAssertTrue(Set(heldByA).isSubset(of: askedOfB))
        XCTAssertEqual(node.chain.tip.hash, hashes.last)
    }

    // MARK: Withheld branches

    /// Issue 13's attack on a synced node: a peer sends free headers forking below the tip with more
    /// work and withholds the blocks. The active tip, the served headers and the announcements never
    /// change; only that peer is asked for the branch; it stalls and is dropped; when the branch's
    /// lifetime passes it is pruned and its announcer struck. The same again from the same address
    /// bans it; an honest peer is never blamed.
    func testAWithheldBranchNeverMovesTheTipExpiresAndStrikesItsAnnouncer() throws {
        let chain = try chainState()
        let honest = try generator.generate(count: 50, onto: chain)
        let node = rig(chain)
        node.sync.peerEstablished(peerB, version: version(height: 50), host: "127.0.0.20")
        node.sync.peerWantsHeaders(peerB)
        let served = chain.headersForPeer(locator: [], stop: .zero)
        XCTAssertEqual(served.count, 50)

        let fork = freeHeaders(on: chain.record(atHeight: 40)!, count: 30, tag: 7)
        for (round, attacker) in [peerA, peerC].enumerated() {
            node.sync.peerEstablished(attacker, version: version(height: 70), host: "127.0.0.66")
            node.sync.receivedHeaders(fork, from: attacker)
            XCTAssertEqual(chain.bestHeader.height, 70)
            XCTAssertEqual(chain.tip.hash, honest.last, "round \(round): a header-only branch never moves the tip")
            let sent = node.network.takeSent()
            XCTAssertFalse(sent.blocksRequested(of: attacker).isEmpty, "the branch is asked of its announcer")
            XCTAssertTrue(sent.blocksRequested(of: peerB).isEmpty, "and of nobody else")
            XCTAssertTrue(sent.headerMessages(to: peerB).isEmpty, "nothing is announced")
            node.sync.headers.receivedGetHeaders(GetHeadersMessage(locator: [Network.regtest.parameters.genesisHash]), from: peerB)
            XCTAssertEqual(node.network.takeSent().headerMessages(to: peerB), [served])

            // Past the stall timeout (2 s, doubled by the first round's stall).
            node.clock.advance(by: .seconds(5))
            node.sync.tick(now: node.clock.now)
            XCTAssertEqual(node.network.disconnected.last?.peer, attacker)
            node.sync.peerLeft(attacker)
            // The lifetime passes with nothing delivered; the next prune removes the branch.
            node.wall.advance(chain.configuration.unbackedBranchLifetimeSeconds + 1)
            node.clock.advance(by: .seconds(11))
            node.sync.tick(now: node.clock.now)
            XCTAssertEqual(chain.bestHeader.hash, honest.last)
            XCTAssertEqual(try chain.statistics().headerCount, 51)
            XCTAssertEqual(node.network.penalties.last, .init(peer: attacker, points: 50, reason: "withheld-branch"))
        }
        XCTAssertEqual(node.network.penalties.count, 2)
        XCTAssertEqual(node.network.bans, ["127.0.0.66"], "the second strike of the address bans it")
        XCTAssertFalse(node.network.penalties.contains { $0.peer == peerB })
        XCTAssertTrue(node.network.takeSent().headerMessages(to: peerB).isEmpty)
    }

    /// Out of initial block download an address may make the node process 4,000 headers at once and
    /// 100 a second after that, whatever connection they come on; the rest is dropped unprocessed and
    /// counted. During initial block download there is no budget.
    func testFreeHeadersBeyondTheBudgetOfAnAddressAreDroppedUnprocessed() throws {
        let chain = try chainState()
        let honest = try generator.generate(count: 10, onto: chain)
        let node = rig(chain)
        XCTAssertFalse(node.sync.isInitialBlockDownload)
        let free = freeHeaders(on: chain.record(atHeight: 9)!, count: 8_000, tag: 5)
        node.sync.peerEstablished(peerA, version: version(height: 10), host: "127.0.0.70")
        node.sync.receivedHeaders(Array(free[0..<2_000]), from: peerA)
        node.sync.peerLeft(peerA)
        node.sync.peerEstablished(peerC, version: version(height: 10), host: "127.0.0.70")  // same address, new connection
        node.sync.receivedHeaders(Array(free[2_000..<4_000]), from: peerC)
        XCTAssertEqual(chain.bestHeader.height, 4_009)
        node.sync.receivedHeaders(Array(free[4_000..<6_000]), from: peerC)
        XCTAssertEqual(chain.bestHeader.height, 4_009, "the budget is spent: nothing hashed or stored")
        XCTAssertEqual(node.network.ignoredCount("headers-over-budget"), 1)
        node.clock.advance(by: .seconds(5))
        node.sync.receivedHeaders(Array(free[4_000..<6_000]), from: peerC)
        XCTAssertEqual(chain.bestHeader.height, 4_509, "500 refilled in 5 s: the first 500 are taken")
        // Another address has its own budget.
        node.sync.peerEstablished(peerB, version: version(height: 10), host: "127.0.0.71")
        node.sync.receivedHeaders(Array(free[4_500..<6_000]), from: peerB)
        XCTAssertEqual(chain.bestHeader.height, 6_009)
        XCTAssertEqual(chain.tip.hash, honest.last)

        // A node in initial block download takes every header.
        let syncing = rig(try chainState(), wallStart: Int64(chain.record(for: honest.last!)!.header.time) + 2 * 86_400)
        XCTAssertTrue(syncing.sync.isInitialBlockDownload)
        syncing.sync.peerEstablished(peerA, version: version(height: 10), host: "127.0.0.70")
        syncing.sync.receivedHeaders(chain.headersForPeer(locator: [], stop: .zero), from: peerA)
        syncing.sync.receivedHeaders(Array(free[0..<2_000]), from: peerA)
        XCTAssertEqual(syncing.chain.bestHeader.height, 2_009)
        XCTAssertEqual(syncing.network.ignoredCount("headers-over-budget"), 0)
    }

    // MARK: Reorgs

    /// An honest heavier fork, served by the peer that announced it, takes over once its blocks are
    /// stored; the switch is counted and announced from the fork point (at most 8 blocks) to the
    /// other peers, as `headers` or `inv` as each asked, never to the peer that delivered it.
    func testAServedHeavierForkTakesOverAndIsAnnouncedAsAReorg() throws {
        let chain = try chainState()
        let mine = try generator.generate(count: 20, onto: chain)
        let source = try chainState()
        let shared = Array(mine.prefix(16))
        for hash in shared { _ = try source.acceptBlock(try block(hash, in: chain), now: Int64.max / 2) }
        let theirs = try RegtestChainGenerator(seed: 77).generate(count: 6, onto: source)  // heights 17…22
        let node = rig(chain, wallStart: Int64(source.record(for: theirs.last!)!.header.time))
        let withHeaders = peerB, withInv = peerC
        node.sync.peerEstablished(withHeaders, version: version(height: 20), host: "127.0.0.21")
        node.sync.peerWantsHeaders(withHeaders)
        node.sync.peerEstablished(withInv, version: version(height: 20), host: "127.0.0.22")
        node.sync.peerEstablished(peerA, version: version(height: 22), host: "127.0.0.23")
        _ = node.network.takeSent()

        node.sync.receivedHeaders(source.headersForPeer(locator: chain.locator(), stop: .zero), from: peerA)
        XCTAssertEqual(chain.tip.hash, mine.last)
        for hash in node.network.takeSent().blocksRequested(of: peerA) {
            node.sync.receivedBlock(try block(hash, in: source), from: peerA)
        }
        XCTAssertEqual(chain.tip, ChainTip(hash: theirs.last!, height: 22))
        XCTAssertEqual(try chain.statistics().reorgs, ReorgCounters(count: 1, disconnectedBlocks: 4, deepest: 4))
        let sent = node.network.takeSent()
        let announced = sent.headerMessages(to: withHeaders).flatMap { $0 }.map { try! $0.hash() }
        XCTAssertEqual(announced.first, theirs[0], "announced from the fork point")
        XCTAssertEqual(announced.last, theirs.last)
        XCTAssertTrue(announced.allSatisfy { chain.isOnActiveChain($0) }, "only active-chain blocks are announced")
        let inv = sent.compactMap { entry -> [Hash256]? in
            guard entry.peer == withInv, case .inv(let items) = entry.message else { return nil }
            return items.map(\.hash)
        }.flatMap { $0 }
        XCTAssertEqual(inv.last, theirs.last)
        XCTAssertTrue(sent.headerMessages(to: peerA).isEmpty, "not to the peer that delivered the blocks")
    }
    // MARK: Headers that do not connect

    /// An announcement whose first header's parent we lack (the peer reorganised deeper than one
    /// announcement carries, or was apart from us) is answered with `getheaders` to that peer, not
    /// with points; the reply connects and its blocks are fetched. Only more than the limit of such
    /// messages in a row cost points (20), and a message that connects starts the count again.
    func testHeadersThatDoNotConnectAreAnsweredWithGetheadersBeforeAnyPenalty() throws {
        let server = try chainState()
        let hashes = try generator.generate(count: 30, onto: server)
        let chain = try chainState()
        for hash in hashes.prefix(10) { _ = try chain.acceptBlock(try block(hash, in: server), now: Int64.max / 2) }
        let node = rig(chain, wallStart: Int64(server.record(for: hashes.last!)!.header.time))
        node.sync.peerEstablished(peerA, version: version(height: 10), host: "127.0.0.31")
        node.sync.peerWantsHeaders(peerA)
        _ = node.network.takeSent()

        let tail = server.headersForPeer(locator: server.locator(from: hashes[24]), stop: .zero)  // heights 26…30
        XCTAssertEqual(try tail.first?.hash(), hashes[25])
        node.sync.receivedHeaders(tail, from: peerA)
        XCTAssertEqual(chain.bestHeader.height, 10, "nothing of an unconnecting batch is taken")
        let asked = node.network.takeSent().headerRequests(to: peerA)
        XCTAssertEqual(asked.count, 1, "answered with getheaders")
        XCTAssertEqual(asked.first?.locator.first, hashes[9], "from our best header")
        XCTAssertTrue(node.network.penalties.isEmpty)
        XCTAssertEqual(node.network.ignoredCount("headers-unconnecting"), 1)

        node.sync.receivedHeaders(server.headersForPeer(locator: asked[0].locator, stop: .zero), from: peerA)
        XCTAssertEqual(chain.bestHeader.hash, hashes.last, "the reply connects")
        for _ in 0..<30 where chain.tip.height < 30 {
            for hash in node.network.takeSent().blocksRequested(of: peerA) {
                node.sync.receivedBlock(try block(hash, in: server), from: peerA)
            }
        }
        XCTAssertEqual(chain.tip.hash, hashes.last)

        // A peer that keeps sending headers nobody can connect is penalised once past the limit.
        let stranger = freeHeaders(on: chain.record(for: hashes[20])!, count: 3, tag: 9).suffix(2)
        let limit = SyncSettings().unconnectingHeadersLimit
        for _ in 0..<limit { node.sync.receivedHeaders(Array(stranger), from: peerA) }
        XCTAssertTrue(node.network.penalties.isEmpty, "up to the limit: getheaders only")
        XCTAssertEqual(node.network.takeSent().headerRequests(to: peerA).count, limit)
        node.sync.receivedHeaders(Array(stranger), from: peerA)
        XCTAssertEqual(node.network.penalties, [.init(peer: peerA, points: 20, reason: "prev-blk-not-found")])

        // Connecting headers reset the count.
        for _ in 0..<limit { node.sync.receivedHeaders(Array(stranger), from: peerA) }
        node.sync.receivedHeaders([chain.record(for: hashes.last!)!.header], from: peerA)
        node.sync.receivedHeaders(Array(stranger), from: peerA)
        XCTAssertEqual(node.network.penalties.count, 1, "the count started again after headers that connect")
    }
}
