/// Active-chain switches of branch (reorgs) since the node started.
public struct ReorgCounters: Sendable, Equatable {
    /// Switches of branch, VDF lottery replacements included.
    public var count = 0
    /// Blocks those switches disconnected in all.
    public var disconnectedBlocks = 0
    /// The most blocks one switch disconnected.
    public var deepest = 0

    /// Counters with the given values.
    public init(count: Int = 0, disconnectedBlocks: Int = 0, deepest: Int = 0) {
        self.count = count
        self.disconnectedBlocks = disconnectedBlocks
        self.deepest = deepest
    }
}
