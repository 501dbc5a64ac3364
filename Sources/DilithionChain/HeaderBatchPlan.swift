import DilithionWire

/// What ``HeaderBatchPrecheck`` found in a batch: the leading headers that passed every check that
/// needs no RandomX hash, what their hashes must satisfy once computed, and the first failure.
public struct HeaderBatchPlan: Sendable, Equatable {
    /// What a header's hash must satisfy (checked in order after hashing; the first failure stops
    /// the batch).
    public struct HashCheck: Sendable, Equatable {
        /// Legacy headers: the hash must be below this target.
        public var target: Hash256?
        /// At a checkpoint height: the hash must be this.
        public var expectedHash: Hash256?
        /// The header's parent was taken to be the previous header of the batch, whose hash was not
        /// known yet: its `previousBlockHash` must turn out to be that hash.
        public var extendsPreviousEntry: Bool
        /// The header forks below the last checkpoint the best chain passed: only a header the tree
        /// already has may do that (a peer re-sending headers we have after the replay cache forgot
        /// them); the tree tells once the hash is known. Set only on the plan's last entry.
        public var mustAlreadyBeKnown: Bool

        public init(
            target: Hash256? = nil, expectedHash: Hash256? = nil, extendsPreviousEntry: Bool = false,
            mustAlreadyBeKnown: Bool = false
        ) {
            self.target = target
            self.expectedHash = expectedHash
            self.extendsPreviousEntry = extendsPreviousEntry
            self.mustAlreadyBeKnown = mustAlreadyBeKnown
        }
    }

    /// One header that passed.
    public struct Entry: Sendable, Equatable {
        public let header: BlockHeader
        /// Its height on its branch.
        public let height: Int
        /// SHA3-256 of its bytes: the replay cache's key for legacy headers (for VDF headers, its hash).
        public let cacheKey: Hash256
        /// Its hash when known without RandomX (VDF headers; legacy headers in the replay cache).
        public let knownHash: Hash256?
        /// Known hash and already in the tree: nothing to check or hash.
        public let alreadyKnown: Bool
        public let check: HashCheck
    }

    /// The headers that passed, from the first; they stop where ``rejection`` is, or after an
    /// entry whose check says ``HashCheck/mustAlreadyBeKnown`` (the headers after it were not
    /// examined: check them again once the tree has told about it).
    public var entries: [Entry]
    /// The first header that failed a check, by its index in the batch, and why.
    public var rejection: (index: Int, reason: ChainRejection)?

    /// How many headers of the batch the plan covers (entries and the rejected one); the rest,
    /// if any, wait for the tree's answer about the last entry.
    public var examinedCount: Int { entries.count + (rejection == nil ? 0 : 1) }

    /// Headers of ``entries`` that need a RandomX hash.
    public var hashesNeeded: Int { entries.filter { $0.knownHash == nil }.count }

    public static func == (lhs: HeaderBatchPlan, rhs: HeaderBatchPlan) -> Bool {
        lhs.entries == rhs.entries && lhs.rejection?.index == rhs.rejection?.index
            && lhs.rejection?.reason == rhs.rejection?.reason
    }
}
