/// Builds `cmpctblock` messages from stored blocks and serves `getblocktxn` requests
/// (PROTOCOL.md §3.9). Pure: no I/O, no state.
public enum CompactBlockBuilder {
    /// Which transactions travel in full inside the `cmpctblock`.
    public enum Prefill: Sendable, Equatable {
        /// The coinbase only (index 0), every other transaction as a short id: what the C++ node
        /// sends and expects; a receiver with the other transactions in its mempool needs no round trip.
        case coinbase
        /// Every transaction: no short ids, so the receiver never needs a `getblocktxn` round trip.
        /// For peers known to keep no mempool (our own relay nodes).
        case everything
    }

    /// The `cmpctblock` for `block`. `nonce` keys the short ids; pick it at random per message
    /// (a fixed nonce lets an attacker grind transactions with colliding short ids).
    public static func compactBlock(for block: Block, nonce: UInt64, prefill: Prefill) -> CompactBlockMessage {
        let prefilledCount = prefill == .everything ? block.transactions.count : min(1, block.transactions.count)
        let prefilled = (0..<prefilledCount).map {
            CompactBlockMessage.Prefilled(index: UInt64($0), transaction: block.transactions[$0])
        }
        let hasher = ShortIDHasher(header: block.header, nonce: nonce)
        let shortIDs = block.txids.dropFirst(prefilledCount).map { hasher.shortID($0) }
        return CompactBlockMessage(header: block.header, nonce: nonce, prefilled: prefilled, shortIDs: shortIDs)
    }

    /// The `blocktxn` answering `request` from `block` (whose hash the caller matched with
    /// `request.blockHash`): the transactions at the requested absolute indexes, in request order.
    public static func transactions(
        of block: Block, answering request: GetBlockTransactionsMessage
    ) throws(CompactBlockError) -> BlockTransactionsMessage {
        var transactions = [Transaction]()
        transactions.reserveCapacity(request.indexes.count)
        for index in request.indexes {
            guard index < UInt64(block.transactions.count) else {
                throw .requestedIndexOutOfRange(index: index, transactionCount: block.transactions.count)
            }
            transactions.append(block.transactions[Int(index)])
        }
        return BlockTransactionsMessage(blockHash: request.blockHash, transactions: transactions)
    }
}
