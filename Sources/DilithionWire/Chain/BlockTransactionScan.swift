/// A block blob's transactions read in place: each one's txid, hashed over its bytes where they
/// lie, and what the coinbase rules need, without decoding any transaction into values (no script
/// is copied; a 1 MiB block costs one pass of SHA3 and no allocation per transaction). The
/// checks and errors are ``Block/init(message:)``'s.
public struct BlockTransactionScan: Sendable {
    /// Each transaction's txid, in order.
    public let txids: [Hash256]
    /// Whether the first transaction is a coinbase (``Transaction/isCoinbase``).
    public let firstIsCoinbase: Bool
    /// Whether any transaction after the first is a coinbase.
    public let hasLaterCoinbase: Bool
    /// The first transaction's first scriptSig (where a v4 block's VDF proof is), if it has inputs.
    public let coinbaseScriptSig: [UInt8]?

    /// Reads the blob of a `block` message: cs(tx_count) ‖ transactions, with nothing after them.
    public init(blob: [UInt8]) throws(MessageDecodeError) {
        var first: Transaction.Shape?
        var later = false
        txids = try Self.hashTransactions(in: blob) { reader, index throws(MessageDecodeError) in
            let shape = try Transaction.skim(from: &reader)
            if index == 0 { first = shape } else if shape.isCoinbase { later = true }
        }
        firstIsCoinbase = first?.isCoinbase ?? false
        hasLaterCoinbase = later
        coinbaseScriptSig = first?.firstScriptSig.map { Array(blob[$0]) }
    }

    /// The walk over a blob's transactions that ``Block/init(message:)`` and this scan share: the
    /// count (bounded by the limit and the bytes left), `read` for each transaction (which must
    /// leave the reader after it), its txid over the bytes it took, and the end check.
    static func hashTransactions(
        in blob: [UInt8], read: (inout ByteReader, Int) throws(MessageDecodeError) -> Void
    ) throws(MessageDecodeError) -> [Hash256] {
        var reader = ByteReader(blob)
        let count = try reader.readCount(
            "block.txs", limit: Limits.maxBlockTransactions, minItemSize: Limits.minimumTransactionSize)
        var txids = [Hash256]()
        txids.reserveCapacity(count)
        for index in 0..<count {
            let begin = reader.offset
            try read(&reader, index)
            let end = reader.offset
            txids.append(blob.withUnsafeBytes { SHA3.hash(UnsafeRawBufferPointer(rebasing: $0[begin..<end])) })
        }
        try reader.expectEnd("block")
        return txids
    }
}
