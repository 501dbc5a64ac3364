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
        try checkHeader(message, expectedHash: expectedHash, legacyHasher: legacyHasher)
        let block: Block
        do {
            block = try Block(message: message)
        } catch {
            throw .malformedTransactions(detail: "\(error)")
        }
        try checkBody(
            header: message.header, txids: block.txids, firstIsCoinbase: block.transactions.first?.isCoinbase ?? false,
            hasLaterCoinbase: block.transactions.dropFirst().contains(where: \.isCoinbase),
            coinbaseScriptSig: block.transactions.first?.inputs.first?.scriptSig)
        return block
    }

    /// ``validate(_:expectedHash:legacyHasher:)``'s checks, in its order and with its errors, over
    /// the blob in place (``BlockTransactionScan``): no transaction is decoded into values, so a
    /// large block costs its txid pass and no copy. The block download pipeline's check.
    public static func check(
        _ message: BlockMessage, expectedHash: Hash256? = nil, legacyHasher: (any LegacyHeaderHasher)? = nil
    ) throws(ChainRejection) {
        try checkHeader(message, expectedHash: expectedHash, legacyHasher: legacyHasher)
        let scan: BlockTransactionScan
        do {
            scan = try BlockTransactionScan(blob: message.blob)
        } catch {
            throw .malformedTransactions(detail: "\(error)")
        }
        try checkBody(
            header: message.header, txids: scan.txids, firstIsCoinbase: scan.firstIsCoinbase,
            hasLaterCoinbase: scan.hasLaterCoinbase, coinbaseScriptSig: scan.coinbaseScriptSig)
    }

    /// `vdfProofHash == SHA3-256(proof)` and `vdfOutput == SHA3-256(proof[0..<100])` for the proof
    /// embedded in the coinbase scriptSig (the proof itself is not verified; a relay has no chiavdf).
    public static func checkVDFCommitments(header: BlockHeader, coinbase: Transaction) throws(ChainRejection) {
        try checkVDFCommitments(header: header, coinbaseScriptSig: coinbase.inputs.first?.scriptSig)
    }

    /// ``checkVDFCommitments(header:coinbase:)`` given the coinbase's first scriptSig (nil: no input).
    static func checkVDFCommitments(header: BlockHeader, coinbaseScriptSig: [UInt8]?) throws(ChainRejection) {
        guard let scriptSig = coinbaseScriptSig, let commitment = VDFCommitment.extract(fromScriptSig: scriptSig)
        else { throw .vdfProofMissing }
        if commitment.proofHash != header.vdfProofHash { throw .vdfProofHashMismatch }
        if commitment.output != header.vdfOutput { throw .vdfOutputMismatch }
    }

    /// The checks before the transactions: the expected hash, then the blob size.
    private static func checkHeader(
        _ message: BlockMessage, expectedHash: Hash256?, legacyHasher: (any LegacyHeaderHasher)?
    ) throws(ChainRejection) {
        if let expectedHash {
            let hash = try HeaderValidation.hash(message.header, legacyHasher: legacyHasher)
            if hash != expectedHash { throw .unexpectedBlock(expected: expectedHash, received: hash) }
        }
        // The codec refuses larger blobs when decoding; this guards messages built in memory.
        guard message.blob.count <= Limits.maxBlockBlob else { throw .blockTooLarge(size: message.blob.count) }
    }

    /// The rules over the parsed transactions, in order: at least one, no duplicate txid, merkle
    /// root, coinbase first and only first, VDF commitments of a v4 block.
    private static func checkBody(
        header: BlockHeader, txids: [Hash256], firstIsCoinbase: Bool, hasLaterCoinbase: Bool, coinbaseScriptSig: [UInt8]?
    ) throws(ChainRejection) {
        guard !txids.isEmpty else { throw .noTransactions }
        if Set(txids).count != txids.count { throw .duplicateTransaction }
        guard Merkle.root(txids) == header.merkleRoot else { throw .merkleRootMismatch }
        guard firstIsCoinbase else { throw .firstTransactionNotCoinbase }
        if hasLaterCoinbase { throw .multipleCoinbases }
        if header.isVDF { try checkVDFCommitments(header: header, coinbaseScriptSig: coinbaseScriptSig) }
    }
}
