/// The merkle root of a block: a Bitcoin-shaped tree whose parent is SHA3-256(left ‖ right)
/// (single SHA3), the last element duplicated on odd levels; a lone txid is its own root.
public enum Merkle {
    /// The root over `txids` (zero for an empty list, which no valid block has).
    public static func root(_ txids: [Hash256]) -> Hash256 {
        guard !txids.isEmpty else { return .zero }
        var level = txids
        var pair = [UInt8](repeating: 0, count: 64)
        while level.count > 1 {
            if level.count % 2 == 1 { level.append(level[level.count - 1]) }
            var next = [Hash256]()
            next.reserveCapacity(level.count / 2)
            for index in stride(from: 0, to: level.count, by: 2) {
                Merkle.store(level[index], into: &pair, at: 0)
                Merkle.store(level[index + 1], into: &pair, at: 32)
                next.append(SHA3.hash(pair))
            }
            level = next
        }
        return level[0]
    }

    private static func store(_ hash: Hash256, into buffer: inout [UInt8], at offset: Int) {
        for (wordIndex, word) in [hash.w0, hash.w1, hash.w2, hash.w3].enumerated() {
            for byte in 0..<8 {
                buffer[offset + wordIndex * 8 + byte] = UInt8(truncatingIfNeeded: word >> UInt64(8 * byte))
            }
        }
    }
}
