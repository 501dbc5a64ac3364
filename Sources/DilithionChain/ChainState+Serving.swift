import DilithionWire

/// Serving stored blocks to peers, read without the chain lock.
extension ChainState {
    /// Runs `body` with one read transaction of the store in which it reads any number of blocks as
    /// finished `block` frames under their stored checksums (``BlockServingSession``): a `getdata`
    /// batch costs one transaction, not one per block.
    public func withServingSession<T>(_ body: (BlockServingSession) throws -> T) throws(BlockStoreError) -> T {
        try store.reader.withServingSession(body)
    }
}
