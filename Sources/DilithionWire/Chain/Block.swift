/// A block split into its transactions, with each transaction's txid computed over its exact
/// bytes as received (so a non-canonical encoding still hashes as the sender hashed it).
public struct Block: Sendable, Equatable {
    public let header: BlockHeader
    public let transactions: [Transaction]
    public let txids: [Hash256]

    /// Parses the blob of a `block` message: cs(tx_count) ‖ transactions, with nothing after them.
    public init(message: BlockMessage) throws(MessageDecodeError) {
        var transactions = [Transaction]()
        txids = try BlockTransactionScan.hashTransactions(in: message.blob) { reader, _ throws(MessageDecodeError) in
            transactions.append(try Transaction.read(from: &reader))
        }
        self.header = message.header
        self.transactions = transactions
    }

    /// Builds a block from transactions (used by the regtest generator and tests).
    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
        self.txids = transactions.map(\.txid)
    }

    /// The merkle root computed from the transactions.
    public var computedMerkleRoot: Hash256 { Merkle.root(txids) }

    /// The blob (cs(count) ‖ txs) as we would serialize it.
    public var blob: [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.writeCompactSize(transactions.count)
        for transaction in transactions { transaction.write(to: &writer) }
        return writer.bytes
    }

    /// The `block` message for this block.
    public var message: BlockMessage { BlockMessage(header: header, blob: blob) }
}
