/// Why a compact block could not be built into a block, or a `getblocktxn` not served, and what
/// the peer layer does about it (``disposition``).
///
/// The policy follows Bitcoin Core's BIP152 handling, which the C++ node copies: a message that no
/// honest sender produces (an index outside the block, a repeated prefilled index, a `blocktxn`
/// with the wrong number of transactions, a `getblocktxn` for an index the block lacks) is
/// misbehaviour worth a ban (PROTOCOL.md §7: 100 points); a failure an honest sender can cause by
/// chance (two transactions with one 48-bit short id, a reconstructed merkle root that does not
/// match because a candidate transaction collided) falls back to fetching the full block.
public enum CompactBlockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither prefilled transactions nor short ids: a block has at least a coinbase.
    case empty
    /// More transactions than a block can hold (``Limits/maxBlockTransactions``).
    case tooManyTransactions(count: Int)
    /// A prefilled index at or beyond the block's transaction count.
    case prefilledIndexOutOfRange(index: UInt64, transactionCount: Int)
    /// The same index prefilled twice.
    case duplicatePrefilledIndex(index: UInt64)
    /// Two short ids in the message are equal: the receiver cannot tell the transactions apart.
    case duplicateShortIDs
    /// A `blocktxn` answered with a different number of transactions than were asked for.
    case wrongTransactionCount(expected: Int, received: Int)
    /// The block's merkle root does not match its header once every transaction is in place.
    case merkleRootMismatch
    /// A `getblocktxn` asked for an index outside the block.
    case requestedIndexOutOfRange(index: UInt64, transactionCount: Int)

    /// What the peer layer does.
    public enum Disposition: Sendable, Equatable {
        /// Ask the peer for the whole block (`getdata`); the peer did nothing wrong.
        case requestFullBlock
        /// Add these misbehaviour points (and drop the message).
        case misbehaving(points: Int)
    }

    public var disposition: Disposition {
        switch self {
        case .duplicateShortIDs, .merkleRootMismatch: return .requestFullBlock
        case .empty, .tooManyTransactions, .prefilledIndexOutOfRange, .duplicatePrefilledIndex,
             .wrongTransactionCount, .requestedIndexOutOfRange:
            return .misbehaving(points: 100)
        }
    }

    /// A stable, kebab-case reason for logs and counters.
    public var reasonCode: String {
        switch self {
        case .empty: return "compact-empty"
        case .tooManyTransactions: return "compact-too-many-transactions"
        case .prefilledIndexOutOfRange: return "compact-prefilled-index-out-of-range"
        case .duplicatePrefilledIndex: return "compact-duplicate-prefilled-index"
        case .duplicateShortIDs: return "compact-duplicate-short-ids"
        case .wrongTransactionCount: return "blocktxn-wrong-count"
        case .merkleRootMismatch: return "compact-merkle-mismatch"
        case .requestedIndexOutOfRange: return "getblocktxn-index-out-of-range"
        }
    }

    public var description: String {
        switch self {
        case .empty: return "compact block with no transactions"
        case let .tooManyTransactions(count): return "compact block claims \(count) transactions"
        case let .prefilledIndexOutOfRange(index, count): return "prefilled index \(index) outside a block of \(count) transactions"
        case let .duplicatePrefilledIndex(index): return "prefilled index \(index) given twice"
        case .duplicateShortIDs: return "two equal short ids in one compact block"
        case let .wrongTransactionCount(expected, received): return "blocktxn carries \(received) transactions, \(expected) were asked for"
        case .merkleRootMismatch: return "reconstructed block does not match its merkle root"
        case let .requestedIndexOutOfRange(index, count): return "getblocktxn index \(index) outside a block of \(count) transactions"
        }
    }
}
