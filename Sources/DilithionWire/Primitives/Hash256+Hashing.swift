/// Hashing a ``Hash256`` for `Set` and `Dictionary`: one keyed folded multiply per word pair
/// instead of SipHash over 32 bytes.
///
/// Block and transaction hashes key the node's hottest tables (the header tree's index, the
/// download scheduler's in-flight and seen sets, the staged batch), and the synthesized
/// conformance sent every lookup through `Hasher`: four word combines and a SipHash-1-3
/// finalization, out of line, about 12 % of a small-block sync's CPU (docs/benchmarks.md).
///
/// The hash cannot simply be one word of the value, although a real block hash is uniform: peers
/// choose the hashes they send (`getdata`, `inv`, unconnected headers), and with an unkeyed
/// function they could make any number of them collide in a table (hash flooding). So every word
/// enters, mixed under a per-process random key that peers never see: each pair of words (each
/// xored with a key word) is multiplied to 128 bits and the halves folded, and the two results are
/// folded once more with the table's seed (the folded multiply of foldhash and wyhash). Equal
/// hashes still hash equally; the value is meaningful only within one process, as `Hasher`'s is.
extension Hash256 {
    /// The per-process secret: 4 random words, drawn once.
    private static let hashingKey = HashingKey()

    private struct HashingKey: Sendable {
        let k0, k1, k2, k3: UInt64

        init() {
            var generator = SystemRandomNumberGenerator()
            k0 = generator.next()
            k1 = generator.next()
            k2 = generator.next()
            k3 = generator.next()
        }
    }

    /// The high and low halves of `x × y` xored: every bit of each operand reaches the result.
    @inline(__always)
    private static func foldedMultiply(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let product = x.multipliedFullWidth(by: y)
        return product.high ^ product.low
    }

    /// All four words under the key and `seed`, in 64 bits.
    @inline(__always)
    private func mixed(seed: UInt64) -> UInt64 {
        let key = Self.hashingKey
        let low = Self.foldedMultiply(w0 ^ key.k0, w1 ^ key.k1)
        let high = Self.foldedMultiply(w2 ^ key.k2, w3 ^ key.k3 ^ seed)
        return Self.foldedMultiply(low ^ key.k3, high ^ key.k0 ^ seed)
    }

    /// Feeds one word of the keyed mix to `hasher` (for hashes inside other `Hashable` values).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(mixed(seed: 0))
    }

    /// What `Set` and `Dictionary` ask for: the keyed mix under the table's `seed`, with no
    /// `Hasher` at all. (An underscored requirement of `Hashable`, public for this purpose: types
    /// with a cheap, good hash supply it to skip SipHash.)
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: mixed(seed: UInt64(UInt(bitPattern: seed))))
    }
}
