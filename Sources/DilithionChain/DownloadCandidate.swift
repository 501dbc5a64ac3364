import DilithionWire

/// A block of the best header chain that is not stored yet.
public struct DownloadCandidate: Sendable, Hashable {
    /// The block to download.
    public let hash: Hash256
    /// Its height on the best header chain.
    public let height: Int

    /// A candidate block.
    public init(hash: Hash256, height: Int) {
        self.hash = hash
        self.height = height
    }
}
