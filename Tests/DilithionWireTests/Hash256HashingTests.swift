import XCTest

@testable import DilithionWire

/// `Hash256`'s own hashing (`Hash256+Hashing`): equal hashes hash equally, and every word of the
/// value reaches the table index, so hashes that differ in one word only (as a peer can choose
/// them) still spread over the buckets.
final class Hash256HashingTests: XCTestCase {
    func testEqualHashesHashEquallyInTablesAndInsideOtherValues() {
        let a = Hash256(w0: 1, w1: 2, w2: 3, w3: 4)
        let b = Hash256(internalHex: a.internalHex)!
        XCTAssertEqual(a._rawHashValue(seed: 77), b._rawHashValue(seed: 77))
        XCTAssertEqual(a.hashValue, b.hashValue)
        var set = Set<Hash256>()
        for w0 in UInt64(0)..<1_000 { set.insert(Hash256(w0: w0, w1: 5, w2: 6, w3: 7)) }
        XCTAssertEqual(set.count, 1_000)
        XCTAssertTrue(set.contains(Hash256(w0: 999, w1: 5, w2: 6, w3: 7)))
        XCTAssertFalse(set.contains(Hash256(w0: 999, w1: 5, w2: 6, w3: 8)))
        let pairs = Set((0..<100).map { DownloadKey(hash: Hash256(w0: 0, w1: 0, w2: 0, w3: UInt64($0)), height: 1) })
        XCTAssertEqual(pairs.count, 100)
    }

    /// 4,096 hashes that differ only in one word land in more than half of 4,096 buckets (a uniform
    /// hash fills ~63 %; a hash of fewer words would put them all in one), for each word in turn.
    func testEachWordAloneSpreadsTheBuckets() {
        for word in 0..<4 {
            var buckets = Set<Int>()
            for value in UInt64(0)..<4_096 {
                var words: [UInt64] = [0x1111, 0x2222, 0x3333, 0x4444]
                words[word] = value << 20  // low bits equal: they must not decide the bucket alone
                let hash = Hash256(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
                buckets.insert(hash._rawHashValue(seed: 12_345) & 4_095)
            }
            XCTAssertGreaterThan(buckets.count, 2_048, "word \(word)")
        }
    }

    private struct DownloadKey: Hashable {
        let hash: Hash256
        let height: Int
    }
}
