/// The genesis of our legacy regtest: a v1 (80-byte, RandomX-hashed) block at an easy target, so
/// that tests and benchmarks run mainnet's header path (RandomX hashing, the legacy pre-check) on
/// chains made in seconds. Not a network of its own: it shares regtest's magic and ports and is
/// reached only through ``NetworkParameters/legacyRegtest`` (a data directory holds one or the other).
///
/// Coinbase: scriptSig = `00` ‖ message, one OP_RETURN output of value 0. The nonce is the first
/// that puts the RandomX hash below the target; a test recomputes the hash with librandomx.
public enum LegacyRegtestGenesis {
    public static let message = "Dilithion Swift legacy regtest genesis - RandomX headers, for tests and demos only"
    public static let time: UInt32 = 1_767_225_600  // 2026-01-01 00:00:00 UTC, as regtest
    /// The easiest target the compact encoding allows: about one RandomX hash in two meets it.
    public static let bits: UInt32 = 0x207F_FFFF
    public static let nonce: UInt32 = 1

    /// RandomX of the header below (computed with librandomx; recomputed by a test).
    public static let expectedHash = Hash256(displayHex: "069005dbf28ad240a1b786ecdb957cec1be50ab0d36b14679f549d2459036f6b")!

    public static let block: Block = {
        let coinbase = Transaction(
            version: 1,
            inputs: [.init(previousOutput: .null, scriptSig: [0x00] + Array(message.utf8), sequence: .max)],
            outputs: [.init(value: 0, scriptPubKey: [0x6A])],
            lockTime: 0)
        let header = BlockHeader(
            version: 1, previousBlockHash: .zero, merkleRoot: coinbase.txid, time: time, bits: bits, nonce: nonce)
        return Block(header: header, transactions: [coinbase])
    }()
}
