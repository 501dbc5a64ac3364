import DilithionWire

/// Context-free block checks a relay can make (no UTXO set, no scripts), as pure functions.
public enum BlockValidation {
    /// Checks a `block` message and returns it split into transactions.
    ///
    /// In order: blob size, transactions parse, at least one transaction, no duplicate txid,
    /// merkle root, coinbase first and only first, and for v4 blocks the VDF commitments. The
    /// merkle root is checked before the coinbase and VDF rules, so that a failure of those proves
    /// the header itself invalid (``ChainRejection/invalidatesHeader``). With `expectedHash`, the
    /// block must be that block (its header hashes to it).
    public static func validate(
        _ message: BlockMessage, expectedHash: Hash256? = nil, legacyHasher: (any LegacyHeaderHasher)? = nil
    ) throws(ChainRejection) -> Block {
        if let expectedHash {
            let hash = try HeaderValidation.hash(message.header, legacyHasher: legacyHasher)
            if hash != expectedHash { throw .unexpectedBlock(expected: expectedHash, received: hash) }
        }
        // The codec refuses larger blobs when decoding; this guards messages built in memory.
        guard message.blob.count <= Limits.maxBlockBlob else { throw .blockTooLarge(size: message.blob.count) }
        let block: Block
        do {
            block = try Block(message: message)
        } catch {
            throw .malformedTransactions(detail: "\(error)")
        }
        guard !block.transactions.isEmpty else { throw .noTransactions }
        if Set(block.txids).count != block.txids.count { throw .duplicateTransaction }
        guard block.computedMerkleRoot == message.header.merkleRoot else { throw .merkleRootMismatch }
        guard block.transactions[0].isCoinbase else { throw .firstTransactionNotCoinbase }
        if block.transactions.dropFirst().contains(where: \.isCoinbase) { throw .multipleCoinbases }
        if message.header.isVDF { try checkVDFCommitments(header: message.header, coinbase: block.transactions[0]) }
        return block
    }

    /// `vdfProofHash == SHA3-256(proof)` and `vdfOutput == SHA3-256(proof[0..<100])` for the proof
    /// embedded in the coinbase scriptSig (the proof itself is not verified; a relay has no chiavdf).
    public static func checkVDFCommitments(header: BlockHeader, coinbase: Transaction) throws(ChainRejection) {
        guard let scriptSig = coinbase.inputs.first?.scriptSig,
            let commitment = VDFCommitment.extract(fromScriptSig: scriptSig)
        else { throw .vdfProofMissing }
        if commitment.proofHash != header.vdfProofHash { throw .vdfProofHashMismatch }
        if commitment.output != header.vdfOutput { throw .vdfOutputMismatch }
    }
}
