import DilithionWire

/// Builds valid regtest blocks quickly and deterministically (for tests, demos and benchmarks).
///
/// Each block: v4 header, `nBits` 0x207fffff, time as given (``generate(count:blockSize:onto:)``
/// uses the parent's time + 60 s); a coinbase whose scriptSig is a height push ‖ VDF tag ‖ u16 200 ‖
/// a 200-byte pseudo-random proof, with the header's `vdfOutput` / `vdfProofHash` committing to it;
/// filler transactions (pseudo-random scriptSigs up to the 20 000-byte script limit) make the blob
/// about the requested size, capped at 4 MiB. The same seed, parent, height, size, time and variant
/// give the same block.
public struct RegtestChainGenerator: Sendable {
    /// Seconds between consecutive generated blocks.
    public static let blockInterval: UInt32 = 60
    /// Size of the stand-in VDF proof (the real proofs are 200 bytes too).
    public static let proofLength = 200

    /// Seed of the pseudo-random contents (proofs, filler transactions).
    public let seed: UInt64

    /// A generator whose blocks are a function of `seed` and the block position.
    public init(seed: UInt64 = 1) { self.seed = seed }

    /// One block on `parent` at `height` with a blob of about `size` bytes (at least the coinbase,
    /// at most 4 MiB). `variant` makes a different block for the same position (competing siblings).
    public func makeBlock(parent: Hash256, height: Int, size: Int, time: UInt32, variant: UInt64 = 0) -> BlockMessage {
        var random = SplitMix64(
            seed: seed ^ UInt64(truncatingIfNeeded: height) &* 0x9E37_79B9_7F4A_7C15 ^ parent.w0 ^ variant &* 0xD6E8_FEB8_6659_FD93)
        let commitment = VDFCommitment(proof: random.bytes(Self.proofLength))
        let coinbase = Transaction(
            version: 1,
            inputs: [
                .init(previousOutput: .null, scriptSig: Self.heightPush(height) + commitment.scriptBytes, sequence: .max)
            ],
            outputs: [.init(value: 0, scriptPubKey: [0x6A])],
            lockTime: 0)
        var transactions = [coinbase]
        let target = min(max(size, 0), Limits.maxBlockBlob)
        // blob = cs(count) ‖ txs; fewer than 253 transactions always fit (20 000-byte scripts).
        var blobSize = 1 + coinbase.serialized.count
        while true {
            let remaining = target - blobSize
            // A filler with an L-byte script is 60 + cs(L) + L bytes.
            let scriptLength = remaining >= 316 ? min(Limits.maxScriptSize, remaining - 63) : min(252, remaining - 61)
            guard scriptLength >= 0 else { break }
            let filler = Transaction(
                version: 1,
                inputs: [
                    .init(
                        previousOutput: .init(hash: random.hash(), index: 0),
                        scriptSig: random.bytes(scriptLength), sequence: .max)
                ],
                outputs: [.init(value: 0, scriptPubKey: [0x6A])],
                lockTime: 0)
            transactions.append(filler)
            blobSize += 60 + (scriptLength < 253 ? 1 : 3) + scriptLength
        }
        let header = BlockHeader(
            version: 4, previousBlockHash: parent, merkleRoot: Merkle.root(transactions.map(\.txid)), time: time,
            bits: RegtestGenesis.bits, nonce: UInt32(truncatingIfNeeded: variant),
            vdfOutput: commitment.output, vdfProofHash: commitment.proofHash)
        return Block(header: header, transactions: transactions).message
    }

    /// Mines `count` blocks on the chain's tip into `chain`, each with the parent's time + 60 s,
    /// accepted with that time as `now`.
    ///
    /// - Returns: the new blocks' hashes, lowest first.
    @discardableResult
    public func generate(
        count: Int, blockSize: BlockSizePattern = .constant(300), onto chain: ChainState
    ) throws(RegtestGeneratorError) -> [Hash256] {
        try chain.appendGenerated(count: count, interval: Self.blockInterval) { parent, height, time in
            makeBlock(parent: parent, height: height, size: blockSize.size(atHeight: height), time: time)
        }
    }

    /// The BIP34-style minimal push of the height that starts a coinbase scriptSig.
    static func heightPush(_ height: Int) -> [UInt8] {
        var value = UInt64(max(height, 0))
        var bytes = [UInt8]()
        while value > 0 {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
        if let last = bytes.last, last & 0x80 != 0 { bytes.append(0) }
        return [UInt8(bytes.count)] + bytes
    }
}
