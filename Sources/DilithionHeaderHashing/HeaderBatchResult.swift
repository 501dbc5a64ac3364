import DilithionChain

/// What a ``HeaderBatchPipeline`` did with one `headers` message.
public struct HeaderBatchResult: Sendable, Equatable {
    /// Headers new to the tree.
    public var acceptedCount: Int
    /// Why the message stopped short (the sender earns its points), nil when every header passed.
    public var rejection: ChainRejection?
    /// The submitter was cancelled (the peer left) before the message was through.
    public var cancelled: Bool
    /// Too many messages of the submitter were waiting: this one was not looked at (no points: the
    /// peer may send it again once it has our answer to the earlier ones).
    public var overloaded: Bool

    public init(acceptedCount: Int, rejection: ChainRejection? = nil, cancelled: Bool = false, overloaded: Bool = false) {
        self.acceptedCount = acceptedCount
        self.rejection = rejection
        self.cancelled = cancelled
        self.overloaded = overloaded
    }
}
