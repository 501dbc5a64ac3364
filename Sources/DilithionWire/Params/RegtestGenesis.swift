/// Our regtest genesis: a v4 (VDF-layout, SHA3-hashed) block built deterministically in code.
///
/// Its coinbase follows the public networks' genesis shape: scriptSig = `00` ‖ message ‖ VDF tag ‖
/// u16 200 ‖ 200-byte proof, one OP_RETURN output of value 0. The proof bytes are a deterministic
/// SHA3 stream (regtest proofs are never verified; their commitments in the header are real).
public enum RegtestGenesis {
    public static let message = "Dilithion Swift regtest genesis - for tests and demos only"
    public static let time: UInt32 = 1_767_225_600  // 2026-01-01 00:00:00 UTC
    /// The easiest target the compact encoding allows (Bitcoin regtest's nBits).
    public static let bits: UInt32 = 0x207F_FFFF

    /// The hash the block below must have; a test recomputes it.
    public static let expectedHash = Hash256(displayHex: "7acdbedcc03888d00805e8a752a2f823ba63bbde7abd93e257c0cb71e7e0ce4b")!

    /// A deterministic 200-byte stand-in proof: SHA3 blocks of a label and a counter.
    public static func proofBytes(label: String, length: Int = 200) -> [UInt8] {
        var out = [UInt8]()
        var counter: UInt32 = 0
        while out.count < length {
            var writer = ByteWriter()
            writer.writeBytes(Array(label.utf8))
            writer.writeUInt32(counter)
            out += SHA3.hash(writer.bytes).internalBytes
            counter += 1
        }
        return Array(out.prefix(length))
    }

    public static let block: Block = {
        let commitment = VDFCommitment(proof: proofBytes(label: "dilithion-swift regtest genesis vdf"))
        let scriptSig = [0x00] + Array(message.utf8) + commitment.scriptBytes
        let coinbase = Transaction(
            version: 1,
            inputs: [.init(previousOutput: .null, scriptSig: scriptSig, sequence: .max)],
            outputs: [.init(value: 0, scriptPubKey: [0x6A])],
            lockTime: 0)
        let header = BlockHeader(
            version: 4, previousBlockHash: .zero, merkleRoot: coinbase.txid, time: time, bits: bits, nonce: 0,
            vdfOutput: commitment.output, vdfProofHash: commitment.proofHash)
        return Block(header: header, transactions: [coinbase])
    }()
}
