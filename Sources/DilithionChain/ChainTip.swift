import DilithionWire

/// A block on the best chain, by hash and height.
public struct ChainTip: Sendable, Equatable, CustomStringConvertible {
    public let hash: Hash256
    public let height: Int

    public init(hash: Hash256, height: Int) {
        self.hash = hash
        self.height = height
    }

    public var description: String { "\(height) \(hash)" }
}
