/// Why ``RegtestChainGenerator/generate(count:blockSize:onto:)`` stopped.
public enum RegtestGeneratorError: Error, Sendable, Equatable {
    /// The chain did not store a generated block (a generator bug, or a chain not on regtest rules).
    case refused(height: Int, outcome: BlockAcceptance)
    /// The store failed.
    case store(BlockStoreError)
}
