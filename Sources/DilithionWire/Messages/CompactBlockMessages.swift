/// `cmpctblock` (BIP152-like, PROTOCOL.md §3.9): header (80|144) ‖ nonce u64 ‖ cs(n_prefilled) ‖
/// n × {cs(index) ‖ tx} ‖ cs(n_short) ‖ n × 6-byte short id. Prefilled indexes are absolute.
public struct CompactBlockMessage: Hashable, Sendable {
    public struct Prefilled: Hashable, Sendable {
        public var index: UInt64
        public var transaction: Transaction
        public init(index: UInt64, transaction: Transaction) {
            self.index = index
            self.transaction = transaction
        }
    }

    public var header: BlockHeader
    public var nonce: UInt64
    public var prefilled: [Prefilled]
    /// 48-bit short ids (the top 16 bits are always zero).
    public var shortIDs: [UInt64]

    public init(header: BlockHeader, nonce: UInt64, prefilled: [Prefilled], shortIDs: [UInt64]) {
        self.header = header
        self.nonce = nonce
        self.prefilled = prefilled
        self.shortIDs = shortIDs
    }
}

/// `getblocktxn`: block hash32 ‖ cs(n) ‖ n × cs(index) (absolute indexes).
public struct GetBlockTransactionsMessage: Hashable, Sendable {
    public var blockHash: Hash256
    public var indexes: [UInt64]
    public init(blockHash: Hash256, indexes: [UInt64]) {
        self.blockHash = blockHash
        self.indexes = indexes
    }
}

/// `blocktxn`: block hash32 ‖ cs(n) ‖ n × tx.
public struct BlockTransactionsMessage: Hashable, Sendable {
    public var blockHash: Hash256
    public var transactions: [Transaction]
    public init(blockHash: Hash256, transactions: [Transaction]) {
        self.blockHash = blockHash
        self.transactions = transactions
    }
}
