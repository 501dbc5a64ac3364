import DilithionChain

/// What became of one `headers` message, whichever path it took (hashed on the dispatcher for VDF
/// networks, through the legacy header pipeline on mainnet): what ``HeadersSync`` needs to
/// penalise, to remember the sender's branch and to continue headers sync.
struct ProcessedHeaders: Sendable {
    /// Headers of the message that were looked at (the rest was over the sender's headers budget).
    let count: Int
    /// The headers budget cut the message.
    let truncated: Bool
    /// Headers new to the tree.
    let acceptedCount: Int
    /// Why it stopped short, nil when every header looked at passed.
    let rejection: ChainRejection?
    /// The last header of the message that is in the tree, with its height: the sender's branch.
    let lastHeader: ChainTip?
    /// Headers may have moved the active chain (blocks stored before their headers, after a
    /// salvaging reindex): announce the tip if it moved.
    let mayHaveMovedActiveTip: Bool
}
