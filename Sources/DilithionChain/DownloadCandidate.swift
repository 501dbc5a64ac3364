import DilithionWire

/// A block of the best header chain that is not stored yet.
public struct DownloadCandidate: Sendable, Hashable {
    public let hash: Hash256
    public let height: Int

    public init(hash: Hash256, height: Int) {
        self.hash = hash
        self.height = height
    }
}
