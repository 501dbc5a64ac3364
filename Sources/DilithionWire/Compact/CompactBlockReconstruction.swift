/// A block being rebuilt from a `cmpctblock` (PROTOCOL.md §3.9): the prefilled transactions in
/// their absolute slots, the other slots matched by short id against the transactions the
/// receiver already holds (its mempool; a relay node without one passes none), and whatever is
/// still missing asked for with one `getblocktxn` and put in place from the `blocktxn` answer.
///
/// Pure value type; errors say whether to fall back to the full block or to penalise the peer
/// (``CompactBlockError/disposition``).
///
///     var rebuild = try CompactBlockReconstruction(compact, blockHash: hash, candidates: mempool)
///     if rebuild.isComplete { accept(try rebuild.block()) }
///     else { send(.getblocktxn(rebuild.request)) }   // later:
///     accept(try rebuild.fill(blocktxn))
public struct CompactBlockReconstruction: Sendable {
    /// The block's header.
    public let header: BlockHeader
    /// The block's hash (the caller computed it: legacy headers need RandomX).
    public let blockHash: Hash256
    private var slots: [Transaction?]
    /// Slots still empty, ascending: what ``request`` asks for.
    public private(set) var missingIndexes: [Int]

    /// Places the prefilled transactions and matches `candidates` by short id. A slot that two
    /// candidates claim stays missing (the peer sends it), as does any slot no candidate claims.
    public init(
        _ compact: CompactBlockMessage, blockHash: Hash256, candidates: some Sequence<Transaction> = [Transaction]()
    ) throws(CompactBlockError) {
        let count = compact.prefilled.count + compact.shortIDs.count
        guard count > 0 else { throw .empty }
        guard count <= Limits.maxBlockTransactions else { throw .tooManyTransactions(count: count) }
        var slots = [Transaction?](repeating: nil, count: count)
        var isPrefilled = [Bool](repeating: false, count: count)
        for item in compact.prefilled {
            guard item.index < UInt64(count) else {
                throw .prefilledIndexOutOfRange(index: item.index, transactionCount: count)
            }
            let index = Int(item.index)
            guard !isPrefilled[index] else { throw .duplicatePrefilledIndex(index: item.index) }
            isPrefilled[index] = true
            slots[index] = item.transaction
        }
        // Short ids fill the slots that are not prefilled, in order.
        var slotOfShortID = [UInt64: Int](minimumCapacity: compact.shortIDs.count)
        var nextShortID = 0
        for index in 0..<count where !isPrefilled[index] {
            let shortID = compact.shortIDs[nextShortID]
            nextShortID += 1
            guard slotOfShortID.updateValue(index, forKey: shortID) == nil else { throw .duplicateShortIDs }
        }
        if !slotOfShortID.isEmpty {
            let hasher = ShortIDHasher(compact)
            var claimed = Set<Int>()
            var ambiguous = Set<Int>()
            for candidate in candidates {
                guard let index = slotOfShortID[hasher.shortID(candidate.txid)], !ambiguous.contains(index) else { continue }
                if claimed.insert(index).inserted {
                    slots[index] = candidate
                } else if slots[index] != candidate {
                    slots[index] = nil
                    ambiguous.insert(index)
                }
            }
        }
        self.header = compact.header
        self.blockHash = blockHash
        self.slots = slots
        self.missingIndexes = slots.indices.filter { slots[$0] == nil }
    }

    /// The number of transactions in the block.
    public var transactionCount: Int { slots.count }

    /// True when every slot holds a transaction.
    public var isComplete: Bool { missingIndexes.isEmpty }

    /// The `getblocktxn` for the missing slots (absolute indexes).
    public var request: GetBlockTransactionsMessage {
        GetBlockTransactionsMessage(blockHash: blockHash, indexes: missingIndexes.map { UInt64($0) })
    }

    /// Puts the `blocktxn` answer (the missing transactions in ``missingIndexes`` order) in place
    /// and returns the block. The caller routes the message by `response.blockHash`.
    public mutating func fill(_ response: BlockTransactionsMessage) throws(CompactBlockError) -> Block {
        guard response.transactions.count == missingIndexes.count else {
            throw .wrongTransactionCount(expected: missingIndexes.count, received: response.transactions.count)
        }
        for (index, transaction) in zip(missingIndexes, response.transactions) { slots[index] = transaction }
        missingIndexes = []
        return try block()
    }

    /// The complete block, its merkle root checked against the header.
    public func block() throws(CompactBlockError) -> Block {
        precondition(isComplete, "CompactBlockReconstruction.block() with transactions missing")
        let block = Block(header: header, transactions: slots.map { $0! })
        guard block.computedMerkleRoot == header.merkleRoot else { throw .merkleRootMismatch }
        return block
    }
}
