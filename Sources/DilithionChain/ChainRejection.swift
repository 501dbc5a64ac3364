import DilithionWire

/// Why a header or block was refused, with the misbehaviour points its sender earns.
///
/// ``reasonCode`` is stable kebab-case text for logs, metrics and `reject` messages (Bitcoin Core's
/// codes where one exists). Points follow PROTOCOL.md §7: 100 for an invalid block or header, 20 for
/// a header that does not connect or for fork spam, 0 where the sender may well be honest.
public enum ChainRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// A legacy (v < 4) header arrived and no RandomX hasher was configured. Our limitation: 0 points.
    case legacyHasherUnavailable
    /// A legacy header's hash is not below the target of its `nBits`.
    case highHash
    /// `nBits` decodes to a zero target, which no hash can meet.
    case invalidTarget(bits: UInt32)
    /// `nBits` is not the value the network's ``DifficultyRule`` requires at this point.
    case unexpectedBits(bits: UInt32, expected: UInt32)
    /// The header's layout (legacy or VDF, by nVersion) is not valid at its height on this network,
    /// or its version is not positive (``HeaderVersionRule``).
    case unexpectedVersion(version: Int32, height: Int)
    /// The parent is unknown: the header does not connect to anything we have.
    case unknownParent(Hash256)
    /// The parent (or an ancestor) is known to be invalid.
    case invalidParent(Hash256)
    /// The header itself was already found invalid.
    case knownInvalid(Hash256)
    /// The timestamp is more than the allowed drift ahead of the supplied clock. 0 points: the
    /// header may become valid later and a peer with a fast clock is not malicious (Bitcoin Core
    /// does not punish it either).
    case timeTooNew(time: UInt32, limit: Int64)
    /// The timestamp is not strictly later than the median of the previous 11 on its branch.
    case timeTooOld(time: UInt32, medianTimePast: UInt32)
    /// The timestamp is less than the network's minimum spacing after the parent's (``TimestampRule``).
    case timeTooSoon(time: UInt32, earliest: Int64)
    /// The header sits at a checkpoint height with a different hash.
    case checkpointMismatch(height: Int)
    /// The header forks from the best chain below the last checkpoint that chain has passed.
    case forkBelowCheckpoint(height: Int)
    /// The header would sit more than the allowed number of headers above the stored tip. 0 points:
    /// an honest peer meets it in every long initial sync; headers sync resumes as blocks arrive.
    case tooFarAheadOfTip(limit: Int)
    /// Accepting the header would exceed the cap on headers outside the best chain.
    case tooManySideBranchHeaders(limit: Int)
    /// The block blob exceeds the 4 MiB cap.
    case blockTooLarge(size: Int)
    /// The blob does not split into transactions.
    case malformedTransactions(detail: String)
    /// The block has no transactions.
    case noTransactions
    /// The same transaction appears twice (a merkle-mutation trick, CVE-2012-2459).
    case duplicateTransaction
    /// The header's merkle root does not match the transactions.
    case merkleRootMismatch
    /// The first transaction is not a coinbase.
    case firstTransactionNotCoinbase
    /// A transaction after the first is a coinbase.
    case multipleCoinbases
    /// A v4 block whose coinbase scriptSig carries no (complete) VDF proof.
    case vdfProofMissing
    /// `vdfProofHash` ≠ SHA3-256(proof).
    case vdfProofHashMismatch
    /// `vdfOutput` ≠ SHA3-256(first 100 bytes of the proof).
    case vdfOutputMismatch
    /// The block is not the one that was asked for (its hash differs from the expected one).
    case unexpectedBlock(expected: Hash256, received: Hash256)
    /// An unannounced block on a branch with less work than the best chain; not stored. 0 points:
    /// honest peers can race us with stale blocks.
    case lowWorkBlock

    /// Stable kebab-case code.
    public var reasonCode: String {
        switch self {
        case .legacyHasherUnavailable: return "legacy-hasher-unavailable"
        case .highHash: return "high-hash"
        case .invalidTarget, .unexpectedBits: return "bad-diffbits"
        case .unexpectedVersion: return "bad-version"
        case .unknownParent: return "prev-blk-not-found"
        case .invalidParent: return "bad-prevblk"
        case .knownInvalid: return "duplicate-invalid"
        case .timeTooNew: return "time-too-new"
        case .timeTooOld: return "time-too-old"
        case .timeTooSoon: return "time-too-soon"
        case .checkpointMismatch: return "checkpoint-mismatch"
        case .forkBelowCheckpoint: return "bad-fork-prior-to-checkpoint"
        case .tooManySideBranchHeaders: return "too-many-fork-headers"
        case .tooFarAheadOfTip: return "headers-ahead-of-blocks"
        case .blockTooLarge: return "bad-blk-length"
        case .malformedTransactions: return "bad-blk-txns"
        case .noTransactions: return "bad-blk-no-txns"
        case .duplicateTransaction: return "bad-txns-duplicate"
        case .merkleRootMismatch: return "bad-txnmrklroot"
        case .firstTransactionNotCoinbase: return "bad-cb-missing"
        case .multipleCoinbases: return "bad-cb-multiple"
        case .vdfProofMissing: return "bad-vdf-proof-missing"
        case .vdfProofHashMismatch: return "bad-vdf-proof-hash"
        case .vdfOutputMismatch: return "bad-vdf-output"
        case .unexpectedBlock: return "unexpected-block"
        case .lowWorkBlock: return "low-work-block"
        }
    }

    /// Misbehaviour points for the peer that sent it (ban at 100, PROTOCOL.md §7).
    public var misbehaviourPoints: Int {
        switch self {
        case .legacyHasherUnavailable, .timeTooNew, .lowWorkBlock, .tooFarAheadOfTip: return 0
        case .unknownParent, .tooManySideBranchHeaders, .unexpectedBlock: return 20
        default: return 100
        }
    }

    /// True when the failure proves the *header* invalid, so it and its descendants are marked
    /// failed. False when the body may merely be a mutated copy of a valid block (wrong merkle
    /// root, duplicated transactions, unparseable or oversized blob): the header stays usable and
    /// the block can be fetched again from someone else.
    public var invalidatesHeader: Bool {
        switch self {
        case .firstTransactionNotCoinbase, .multipleCoinbases, .vdfProofMissing, .vdfProofHashMismatch,
            .vdfOutputMismatch:
            return true
        default: return false
        }
    }

    /// The reason code with the details that help a log reader.
    public var description: String {
        switch self {
        case .unknownParent(let hash), .invalidParent(let hash), .knownInvalid(let hash):
            return "\(reasonCode) (\(hash))"
        case .invalidTarget(let bits): return "\(reasonCode) (nBits 0x\(String(bits, radix: 16)))"
        case .unexpectedBits(let bits, let expected):
            return "\(reasonCode) (nBits 0x\(String(bits, radix: 16)), expected 0x\(String(expected, radix: 16)))"
        case .timeTooNew(let time, let limit): return "\(reasonCode) (time \(time) > \(limit))"
        case .timeTooOld(let time, let median): return "\(reasonCode) (time \(time) <= median \(median))"
        case .timeTooSoon(let time, let earliest): return "\(reasonCode) (time \(time) < \(earliest))"
        case .unexpectedVersion(let version, let height): return "\(reasonCode) (version \(version) at height \(height))"
        case .checkpointMismatch(let height), .forkBelowCheckpoint(let height): return "\(reasonCode) (height \(height))"
        case .tooManySideBranchHeaders(let limit), .tooFarAheadOfTip(let limit): return "\(reasonCode) (limit \(limit))"
        case .blockTooLarge(let size): return "\(reasonCode) (\(size) bytes)"
        case .malformedTransactions(let detail): return "\(reasonCode) (\(detail))"
        case .unexpectedBlock(let expected, let received): return "\(reasonCode) (wanted \(expected), got \(received))"
        default: return reasonCode
        }
    }
}
