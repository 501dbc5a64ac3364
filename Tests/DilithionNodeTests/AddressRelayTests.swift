import DilithionChain
import DilithionNet
@testable import DilithionNode
import DilithionSystem
import DilithionWire
import XCTest

/// Address relay, the address book's answers and outbound choice, address fetches from seeds, and
/// the routable-subnet policy: pure values with time passed in (no sockets, no waiting).
final class AddressRelayTests: XCTestCase {
    let now: Int64 = 1_800_000_000

    func peer(_ id: UInt64) -> PeerID { PeerID(rawValue: id) }

    func address(_ a: UInt8, _ b: UInt8, _ c: UInt8 = 1, _ d: UInt8 = 1, port: UInt16 = 8444) -> NetAddress {
        NetAddress(services: 1, ipv4: (a, b, c, d), port: port)
    }

    func fresh(_ address: NetAddress) -> TimestampedAddress { TimestampedAddress(time: UInt32(now - 5), address: address) }

    /// Six peers: 1–3 outbound, 4–6 inbound; only 4 has shown interest in addresses (getaddr).
    func relayWithSixPeers() -> AddressRelay {
        var relay = AddressRelay(k0: 0x0123_4567_89AB_CDEF, k1: 0xFEDC_BA98_7654_3210)
        for id in UInt64(1)...6 { relay.peerEstablished(peer(id), outbound: id <= 3, nowSeconds: 0) }
        XCTAssertTrue(relay.receivedGetaddr(from: peer(4)))
        return relay
    }

    // MARK: getaddr and the token bucket

    func testGetaddrIsAnsweredOncePerConnection() {
        var relay = relayWithSixPeers()
        XCTAssertFalse(relay.receivedGetaddr(from: peer(4)), "second getaddr on the same connection")
        XCTAssertTrue(relay.receivedGetaddr(from: peer(5)))
        relay.peerLeft(peer(5))
        relay.peerEstablished(peer(7), outbound: false, nowSeconds: 0)
        XCTAssertTrue(relay.receivedGetaddr(from: peer(7)), "a new connection is answered again")
        XCTAssertFalse(relay.receivedGetaddr(from: peer(99)), "unknown peer")
    }

    func testTokenBucketStartsWithOneTokenAndOurGetaddrMakesRoomForTheAnswer() {
        var relay = relayWithSixPeers()
        let five = (1...5).map { fresh(address(11, $0)) }
        var receipt = relay.received(five, from: peer(5), nowUnix: now, nowSeconds: 0, isRoutable: AddressPolicy.internet.isRoutable)
        XCTAssertEqual(receipt.accepted, [five[0]])
        XCTAssertEqual(receipt.rateLimited, 4)
        // 0.1 token per second: 100 s later, ten more.
        receipt = relay.received((1...20).map { fresh(address(12, $0)) }, from: peer(5), nowUnix: now, nowSeconds: 100,
                                 isRoutable: AddressPolicy.internet.isRoutable)
        XCTAssertEqual(receipt.accepted.count, 10)
        XCTAssertEqual(receipt.rateLimited, 10)

        // Our getaddr to outbound peer 1 adds 1 000 tokens: a full answer is accepted whole.
        relay.sentGetaddr(to: peer(1))
        let answer = (0..<1_000).map { fresh(address(13, UInt8($0 % 250), UInt8($0 / 250))) }
        receipt = relay.received(answer, from: peer(1), nowUnix: now, nowSeconds: 1, isRoutable: AddressPolicy.internet.isRoutable)
        XCTAssertEqual(receipt.accepted.count, 1_000)
        XCTAssertTrue(receipt.answeredOurGetaddr)
        XCTAssertTrue(receipt.relayable.isEmpty, "the answer to our getaddr is not gossip")
    }

    // MARK: Relay

    func testFreshAddressGoesToTwoPeersChosenPerAddressAndDay() {
        let relay = relayWithSixPeers()
        let eligible: Set<PeerID> = [peer(1), peer(2), peer(3), peer(4)]
        var chosen: [PeerID: Int] = [:]
        for index in 0..<200 {
            let target = address(20, UInt8(index % 200), UInt8(index / 200))
            let targets = relay.relayTargets(for: target, excluding: peer(2), nowUnix: now)
            XCTAssertEqual(targets.count, 2)
            XCTAssertEqual(Set(targets).count, 2)
            XCTAssertTrue(Set(targets).isSubset(of: eligible.subtracting([peer(2)])), "never the origin, never an uninterested inbound")
            XCTAssertEqual(relay.relayTargets(for: target, excluding: peer(2), nowUnix: now), targets, "deterministic")
            for id in targets { chosen[id, default: 0] += 1 }
        }
        XCTAssertEqual(Set(chosen.keys), [peer(1), peer(3), peer(4)], "over many addresses every eligible peer is used")
    }

    func testTheChoiceIsStableWithinItsPeriodAndRotates() {
        let relay = relayWithSixPeers()
        var rotated = 0
        for index in 0..<100 {
            let target = address(21, UInt8(index))
            // Within any one day-long period the targets do not change; across 30 days they do.
            let day0 = relay.relayTargets(for: target, excluding: nil, nowUnix: now)
            var changes = 0
            for day in 1...30 {
                if relay.relayTargets(for: target, excluding: nil, nowUnix: now + Int64(day) * 86_400) != day0 { changes += 1 }
            }
            if changes > 0 { rotated += 1 }
        }
        XCTAssertGreaterThan(rotated, 90)
        // Different secrets choose differently (nobody outside can predict the choice).
        let other = { () -> AddressRelay in
            var relay = AddressRelay(k0: 1, k1: 2)
            for id in UInt64(1)...6 { relay.peerEstablished(peer(id), outbound: id <= 3, nowSeconds: 0) }
            _ = relay.receivedGetaddr(from: peer(4))
            return relay
        }()
        let differs = (0..<50).contains { index in
            other.relayTargets(for: address(22, UInt8(index)), excluding: nil, nowUnix: now)
                != relay.relayTargets(for: address(22, UInt8(index)), excluding: nil, nowUnix: now)
        }
        XCTAssertTrue(differs)
    }

    func testOnlyFreshRoutableEntriesOfSmallUnsolicitedMessagesAreRelayable() {
        var relay = relayWithSixPeers()
        // 10 000 s in, every bucket has refilled to its 1 000 tokens.
        let later = 10_000.0
        let internet = AddressPolicy.internet.isRoutable
        let public1 = fresh(address(31, 1))
        let stale = TimestampedAddress(time: UInt32(now - 601), address: address(31, 2))
        let loopback = fresh(NetAddress(host: "127.0.0.1", port: 8444)!)
        let privateAddress = fresh(address(10, 0, 0, 7))
        let receipt = relay.received([public1, stale, loopback, privateAddress], from: peer(1), nowUnix: now, nowSeconds: later,
                                     isRoutable: internet)
        XCTAssertEqual(receipt.relayable, [public1], "non-routable and stale entries are never relayed on a public network")

        let eleven = (1...11).map { fresh(address(32, $0)) }
        XCTAssertEqual(relay.received(eleven, from: peer(2), nowUnix: now, nowSeconds: later, isRoutable: internet).accepted, eleven)
        XCTAssertTrue(relay.received(eleven, from: peer(2), nowUnix: now, nowSeconds: later, isRoutable: internet).relayable.isEmpty,
                      "more than ten entries: an answer, not gossip")

        // With the emulated network's subnet routable (regtest), the private address is relayed.
        let emulated = AddressPolicy(routableSubnets: [IPSubnet("10.0.0.0/8")!])
        XCTAssertEqual(relay.received([privateAddress], from: peer(3), nowUnix: now, nowSeconds: later, isRoutable: emulated.isRoutable).relayable,
                       [privateAddress])
    }

    func testQueuedAddressesSkipWhatThePeerKnowsAndRespectTheSendInterval() {
        var relay = relayWithSixPeers()
        let a = fresh(address(40, 1)), b = fresh(address(40, 2)), c = fresh(address(40, 3))
        // Peer 1 told us about a: it is never sent back to peer 1.
        _ = relay.received([a], from: peer(1), nowUnix: now, nowSeconds: 0, isRoutable: { _ in true })
        relay.enqueue([a, b], for: peer(1))
        relay.enqueue([b], for: peer(1))
        relay.enqueue([c], for: peer(5))  // inbound without interest: nothing is queued
        var due = relay.takeDue(nowSeconds: 0)
        XCTAssertEqual(due.sends.map(\.0), [peer(1)])
        XCTAssertEqual(due.sends.first?.1, [b])
        XCTAssertNil(due.nextDueSeconds)
        // A second message to peer 1 waits out the interval (the C++ node penalises two within 10 s).
        relay.enqueue([c], for: peer(1))
        due = relay.takeDue(nowSeconds: 4)
        XCTAssertTrue(due.sends.isEmpty)
        XCTAssertEqual(due.nextDueSeconds, 10)
        due = relay.takeDue(nowSeconds: 10)
        XCTAssertEqual(due.sends.first?.1, [c])
        relay.peerLeft(peer(1))
        XCTAssertFalse(relay.relayTargets(for: address(41, 1), excluding: nil, nowUnix: now).contains(peer(1)))
    }

    func testRecentSetForgetsTheOldest() {
        var set = RecentSet<Int>(capacity: 3)
        for value in [1, 2, 3, 2, 4] { set.insert(value) }
        XCTAssertEqual(set.count, 3)
        XCTAssertFalse(set.contains(1))
        XCTAssertTrue(set.contains(2) && set.contains(3) && set.contains(4))
    }

    // MARK: Address book

    func testGetaddrReplyIsCappedRandomAndCarriesRealTimes() throws {
        let book = try AddressBook(path: nil)
        var seen: [NetAddress: UInt32] = [:]
        for index in 0..<1_500 {
            let entry = address(50 + UInt8(index % 100), UInt8(index / 100))
            let time = now - Int64(index) * 60
            book.add(entry, seen: time, now: now)
            seen[entry] = UInt32(time)
        }
        book.add(address(60, 1), seen: now - AddressBook.replyHorizonSeconds - 1, now: now)  // too old to share
        var generator = SplitMix64(seed: 1)
        let reply = book.reply(now: now, using: &generator)
        XCTAssertEqual(reply.count, AddressBook.maxReply)
        XCTAssertEqual(Set(reply.map(\.address)).count, reply.count)
        for entry in reply { XCTAssertEqual(entry.time, seen[entry.address], "the real last-seen time, never 0") }
        var otherGenerator = SplitMix64(seed: 2)
        XCTAssertNotEqual(Set(book.reply(now: now, using: &otherGenerator).map(\.address)), Set(reply.map(\.address)),
                          "a random sample, not always the same 1 000")
    }

    func testTerribleAddressesAreNotSharedOrRetriedAtOnce() throws {
        let book = try AddressBook(path: nil)
        let failing = address(70, 1)
        book.add(failing, seen: now, now: now)
        let key = NetAddressKey.key(failing)
        var generator = SplitMix64(seed: 3)
        book.markAttempt(key: key, now: now)
        XCTAssertTrue(book.candidates(excluding: [], groupsInUse: [], limit: 8, now: now + 9, using: &generator).isEmpty)
        XCTAssertEqual(book.candidates(excluding: [], groupsInUse: [], limit: 8, now: now + 10, using: &generator).map(\.key), [key])
        book.markAttempt(key: key, now: now + 10)
        XCTAssertTrue(book.candidates(excluding: [], groupsInUse: [], limit: 8, now: now + 29, using: &generator).isEmpty, "doubled")
        XCTAssertEqual(book.candidates(excluding: [], groupsInUse: [], limit: 8, now: now + 30, using: &generator).count, 1)
        book.markAttempt(key: key, now: now + 30)
        XCTAssertTrue(book.reply(now: now + 30, using: &generator).isEmpty, "three failures in a row: not shared")
        book.markGood(host: failing.host, port: failing.port, now: now + 200)
        XCTAssertEqual(book.reply(now: now + 200, using: &generator).map(\.address), [failing])
    }

    func testOutboundCandidatesSpreadAcrossNetworkGroups() throws {
        let book = try AddressBook(path: nil)
        // Five /16 groups with 10 addresses each.
        for group in UInt8(1)...5 {
            for host in UInt8(1)...10 { book.add(address(80, group, 0, host), seen: now, now: now) }
        }
        var generator = SplitMix64(seed: 4)
        let picked = book.candidates(excluding: [], groupsInUse: [AddressPolicy.networkGroup(address(80, 5))], limit: 8,
                                     now: now, using: &generator)
        XCTAssertEqual(picked.count, 4, "one per group, and not the group already in use")
        XCTAssertEqual(Set(picked.compactMap { $0.address.map(AddressPolicy.networkGroup) }).count, 4)
        XCTAssertFalse(picked.contains { $0.host.hasPrefix("80.5.") })
        // Many groups: eight distinct ones.
        for group in UInt8(100)...120 { book.add(address(group, 1), seen: now, now: now) }
        let wide = book.candidates(excluding: [], groupsInUse: [], limit: 8, now: now, using: &generator)
        XCTAssertEqual(Set(wide.compactMap { $0.address.map(AddressPolicy.networkGroup) }).count, 8)
    }

    func testPolicyAndSubnets() throws {
        let internet = try AddressBook(path: nil)
        XCTAssertFalse(internet.add(address(10, 1), seen: now, now: now))
        XCTAssertFalse(internet.add(NetAddress(host: "127.0.0.1", port: 1)!, seen: now, now: now))
        let emulated = try AddressBook(path: nil, policy: AddressPolicy(routableSubnets: [IPSubnet("10.0.0.0/8")!]))
        XCTAssertTrue(emulated.add(address(10, 1), seen: now, now: now))
        XCTAssertFalse(emulated.add(address(10, 2, 1, 1, port: 0), seen: now, now: now), "port 0 is never routable")
        XCTAssertFalse(emulated.add(address(192, 168), seen: now, now: now))

        XCTAssertEqual(IPSubnet("10.1.2.3/8")?.description, "10.0.0.0/8")
        XCTAssertEqual(IPSubnet("fd00::1/8")?.description, "fd00::/8")
        XCTAssertTrue(IPSubnet("10.4.0.0/14")!.contains(address(10, 7)))
        XCTAssertFalse(IPSubnet("10.4.0.0/14")!.contains(address(10, 8)))
        XCTAssertTrue(IPSubnet("0.0.0.0/0")!.contains(address(1, 2)))
        XCTAssertFalse(IPSubnet("0.0.0.0/0")!.contains(NetAddress(host: "::1", port: 1)!), "an IPv4 subnet never holds IPv6")
        for bad in ["10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0/8", "x/8", "10.0.0.0/-1"] { XCTAssertNil(IPSubnet(bad), bad) }
        XCTAssertEqual(AddressPolicy.networkGroup(address(10, 7, 8, 9)), [4, 10, 7])
    }

    // MARK: Address fetches (--seednode)

    func seedDialState() -> DialState {
        var configuration = NodeConfiguration(network: .regtest, dataDirectory: "/nonexistent")
        configuration.seedNodes = ["10.1.0.1:18744", "10.2.0.1:18744"]
        var dial = DialState()
        dial.configure(configuration: configuration, parameters: Network.regtest.parameters)
        return dial
    }

    func testSeedsAreFetchedOnceAtStartWithoutTakingSlots() {
        var dial = seedDialState()
        let first = dial.due(nowNanoseconds: 0, freeSlots: 0)
        XCTAssertEqual(first.dial.map(\.key).sorted(), ["10.1.0.1:18744", "10.2.0.1:18744"])
        XCTAssertTrue(first.dial.allSatisfy(\.isAddressFetch))
        dial.dialed("10.1.0.1:18744", peer: peer(1), nowNanoseconds: 0)
        dial.dialed("10.2.0.1:18744", peer: peer(2), nowNanoseconds: 0)
        XCTAssertEqual(dial.slotHoldersInProgress, 0)
        XCTAssertTrue(dial.isAddressFetch(peer: peer(1)))
        XCTAssertTrue(dial.outboundGroups().isEmpty)

        // Seed 1 answers; seed 2 stays silent past the deadline.
        dial.addressFetchAnswered(peer: peer(1))
        XCTAssertEqual(dial.due(nowNanoseconds: 1, freeSlots: 8).nextCheck, DialState.addressFetchTimeoutNanoseconds)
        XCTAssertTrue(dial.takeExpiredFetches(nowNanoseconds: DialState.addressFetchTimeoutNanoseconds - 1).isEmpty)
        XCTAssertEqual(dial.takeExpiredFetches(nowNanoseconds: DialState.addressFetchTimeoutNanoseconds), [peer(2)])
        XCTAssertTrue(dial.takeExpiredFetches(nowNanoseconds: DialState.addressFetchTimeoutNanoseconds).isEmpty, "reported once")
        let t = DialState.addressFetchTimeoutNanoseconds
        dial.peerDisconnected(peer(1), reason: .localRequest, nowNanoseconds: t)
        dial.peerDisconnected(peer(2), reason: .localRequest, nowNanoseconds: t)

        // Addresses are plentiful: no seed is asked again.
        XCTAssertTrue(dial.due(nowNanoseconds: t + 600_000_000_000, freeSlots: 8, needAddresses: false).dial.isEmpty)
        // Short of addresses: each seed again once its delay has passed (10 s after an answer).
        let again = dial.due(nowNanoseconds: t + DialState.refetchDelayNanoseconds, freeSlots: 8, needAddresses: true)
        XCTAssertEqual(Set(again.dial.map(\.key)), ["10.1.0.1:18744", "10.2.0.1:18744"])
    }

    func testSeedsAreNeverDroppedAfterFailures() {
        var dial = seedDialState()
        var now: UInt64 = 0
        for round in 1...6 {
            let due = dial.due(nowNanoseconds: now, freeSlots: 8, needAddresses: true)
            XCTAssertEqual(due.dial.count, 2, "round \(round)")
            for (index, target) in due.dial.enumerated() {
                let id = peer(UInt64(round * 10 + index))
                dial.dialed(target.key, peer: id, nowNanoseconds: now)
                dial.peerDisconnected(id, reason: .connectFailed, nowNanoseconds: now)
            }
            now += DialState.maxBackoffNanoseconds * 2
        }
        XCTAssertEqual(dial.targets.count, 2)
    }
}
