import DilithionChain
import DilithionWire

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
    /// The hash of the message's last header that passed every check (new to the tree or known):
    /// how far along its branch the sender is. Nil when none did.
    public var lastHash: Hash256?

    public init(
        acceptedCount: Int, rejection: ChainRejection? = nil, cancelled: Bool = false, overloaded: Bool = false,
        lastHash: Hash256? = nil
    ) {
        self.acceptedCount = acceptedCount
        self.lastHash = lastHash
        self.rejection = rejection
        self.cancelled = cancelled
        self.overloaded = overloaded
    }
}
