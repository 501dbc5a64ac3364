import DilithionChain
import DilithionNode
import DilithionWire
import XCTest

/// Pure policies: eviction, the addr token bucket, the ban list and the address book.
final class PolicyTests: XCTestCase {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "dilithion-node-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testEvictionProtectsManualOldestFastestAndBlockDelivering() {
        var candidates = [EvictionPolicy.Candidate]()
        for id in 1...12 {
            candidates.append(.init(id: UInt64(id), connectedSeconds: Double(100 * id), pingSeconds: Double(id) / 100,
                                    isManual: false, misbehaviour: 0, deliveredBlocksRecently: false))
        }
        // Oldest four: 9–12. Fastest four of the rest: 1–4. Left: 5–8; the newest (5) goes.
        XCTAssertEqual(EvictionPolicy.select(candidates), 5)
        candidates[6].misbehaviour = 30  // id 7
        XCTAssertEqual(EvictionPolicy.select(candidates), 7, "the worst-behaved unprotected peer goes first")
        for index in 4..<8 { candidates[index].isManual = true }
        XCTAssertNil(EvictionPolicy.select(candidates), "manual peers are never evicted")
        let onlyProtected = (1...3).map {
            EvictionPolicy.Candidate(id: UInt64($0), connectedSeconds: 1, pingSeconds: nil, isManual: false,
                                     misbehaviour: 0, deliveredBlocksRecently: true)
        }
        XCTAssertNil(EvictionPolicy.select(onlyProtected))
    }

    func testAddrTokenBucketCountsExactly() {
        // 600 + 600 + 10 addresses at t = 0, 0, 100 s with rate 0.1/s and burst 1 000.
        var bucket = TokenBucket(rate: 0.1, capacity: 1_000, nowSeconds: 0)
        XCTAssertEqual(bucket.take(600, nowSeconds: 0), 600)
        XCTAssertEqual(bucket.take(600, nowSeconds: 0), 400)
        XCTAssertEqual(bucket.take(10, nowSeconds: 100), 10)
        XCTAssertEqual(bucket.take(10, nowSeconds: 100), 0)
        XCTAssertEqual(bucket.take(5, nowSeconds: 150), 5)
    }

    func testBanListExpiryAndPersistence() throws {
        let path = try temporaryDirectory() + "/banlist.json"
        let bans = try BanList(path: path, now: 1_000)
        bans.ban("10.9.8.7", duration: 600, reason: "misbehaving", now: 1_000)
        bans.ban("192.168.4.4", duration: 3_600, reason: "manual", now: 1_000)
        XCTAssertTrue(bans.isBanned("10.9.8.7", now: 1_599))
        XCTAssertFalse(bans.isBanned("10.9.8.7", now: 1_600), "expired exactly at its end")
        let reloaded = try BanList(path: path, now: 1_700)
        XCTAssertEqual(reloaded.list(now: 1_700).map(\.address), ["192.168.4.4"], "survives a restart, expired entries dropped")
        XCTAssertTrue(reloaded.unban("192.168.4.4"))
        XCTAssertEqual(try BanList(path: path, now: 1_700).list(now: 1_700).count, 0)
    }

    func testAddressBookAnswersRoutableWithRealTimesAndPersists() throws {
        let path = try temporaryDirectory() + "/peers.json"
        let book = try AddressBook(path: path)
        // Routable test addresses built from octets (never dialed: this is a pure data-structure test).
        let first = NetAddress(services: 1, ipv4: (11, 22, 33, 44), port: 8444)
        let second = NetAddress(services: 1, ipv4: (11, 22, 33, 55), port: 8444)
        XCTAssertTrue(book.add(first, seen: 5_000, now: 6_000))
        XCTAssertFalse(book.add(NetAddress(host: "127.0.0.1", port: 8444)!, seen: 5_500, now: 6_000), "loopback is never learnt")
        XCTAssertTrue(book.add(second, seen: 9_999, now: 6_000))
        var generator = SplitMix64(seed: 1)
        let reply = book.reply(now: 6_000, using: &generator).sorted { $0.time > $1.time }
        XCTAssertEqual(reply.map(\.address), [second, first])
        XCTAssertEqual(reply.map(\.time), [6_000, 5_000], "future times clamp to now; no time 0")
        try book.save()
        XCTAssertEqual(try AddressBook(path: path).count, 2)
    }
}
