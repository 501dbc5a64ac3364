import DilithionWire

/// Builds legacy (v1, RandomX-hashed) blocks for the legacy regtest
/// (``ChainConfiguration/legacyRegtest(legacyHasher:)``): mainnet's header path on chains made in
/// seconds, for tests and benchmarks.
///
/// Each block: v1 header at the legacy regtest bits, time as given (the chain methods use the
/// parent's + 240 s, mainnet's spacing), the nonce the first from 0 whose hash meets the target
/// (about two hashes per block); one coinbase whose scriptSig is a height push ‖ 8 seed bytes ‖
/// the variant. The same seed, parent, height, time and variant give the same block.
public struct LegacyChainGenerator: Sendable {
    /// Seconds between consecutive blocks (mainnet's 240).
    public static let blockInterval: UInt32 = 240

    public let hasher: any LegacyHeaderHasher
    public let seed: UInt64

    public init(hasher: any LegacyHeaderHasher, seed: UInt64 = 1) {
        self.hasher = hasher
        self.seed = seed
    }

    /// One mined block on `parent` at `height`; `variant` makes a different block for the same
    /// position (competing siblings).
    public func makeBlock(
        parent: Hash256, height: Int, time: UInt32, bits: UInt32 = LegacyRegtestGenesis.bits, variant: UInt64 = 0
    ) -> (message: BlockMessage, hash: Hash256) {
        var scriptSig = RegtestChainGenerator.heightPush(height)
        for shift in stride(from: 0, to: 64, by: 8) { scriptSig.append(UInt8(truncatingIfNeeded: seed >> UInt64(shift))) }
        for shift in stride(from: 0, to: 64, by: 8) { scriptSig.append(UInt8(truncatingIfNeeded: variant >> UInt64(shift))) }
        let coinbase = Transaction(
            version: 1,
            inputs: [.init(previousOutput: .null, scriptSig: scriptSig, sequence: .max)],
            outputs: [.init(value: 0, scriptPubKey: [0x6A])],
            lockTime: 0)
        var header = BlockHeader(
            version: 1, previousBlockHash: parent, merkleRoot: coinbase.txid, time: time, bits: bits, nonce: 0)
        var hash = hasher.hash(legacyHeader: header.serialized)
        while !header.meetsTarget(hash: hash) {
            header.nonce += 1
            hash = hasher.hash(legacyHeader: header.serialized)
        }
        return (Block(header: header, transactions: [coinbase]).message, hash)
    }

    /// `count` mined headers extending `parent` (at `height`, time `time`), lowest first, with their
    /// hashes: a chain to feed a header sync.
    public func makeHeaders(after parent: Hash256, height: Int, time: UInt32, count: Int) -> [(header: BlockHeader, hash: Hash256)] {
        var result = [(header: BlockHeader, hash: Hash256)]()
        result.reserveCapacity(max(count, 0))
        var previous = (hash: parent, height: height, time: time)
        for _ in 0..<max(count, 0) {
            let block = makeBlock(parent: previous.hash, height: previous.height + 1, time: previous.time + Self.blockInterval)
            result.append((block.message.header, block.hash))
            previous = (block.hash, previous.height + 1, block.message.header.time)
        }
        return result
    }

    /// Mines `count` blocks on the tip of `chain` (a legacy regtest chain), each accepted with its
    /// own time as `now`.
    ///
    /// - Returns: the new blocks' hashes, lowest first.
    @discardableResult
    public func generate(count: Int, onto chain: ChainState) throws(RegtestGeneratorError) -> [Hash256] {
        try chain.appendGenerated(count: count, interval: Self.blockInterval) { parent, height, time in
            makeBlock(parent: parent, height: height, time: time).message
        }
    }
}
