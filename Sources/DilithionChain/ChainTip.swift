import DilithionWire

/// A block on the best chain, by hash and height.
public struct ChainTip: Sendable, Equatable, CustomStringConvertible {
    /// The block hash.
    public let hash: Hash256
    /// Distance from genesis.
    public let height: Int

    /// A block position.
    public init(hash: Hash256, height: Int) {
        self.hash = hash
        self.height = height
    }

    /// "height hash" for logs.
    public var description: String { "\(height) \(hash)" }
}
