import DilithionWire

/// Serving one block without copying it around: the payload blob is read from SQLite once,
/// straight into the array that becomes the `block` frame, behind a header written from the stored
/// checksum.
extension BlockReader {
    /// The stored block as a finished `block` frame (header with the stored checksum ‖ payload), or
    /// nil when the block is not stored.
    ///
    /// A serving session of one block (``withServingSession(_:)``, ``BlockServingSession``): the
    /// payload is read with SQLite's incremental blob I/O into the frame's own buffer, so between
    /// the database pages and the socket there is this one copy (the engine writes from the returned
    /// array); a row from before schema 2 has no checksum yet: it is computed, served under, and
    /// stored, once.
    public func servingFrame(for hash: Hash256) throws(BlockStoreError) -> EncodedFrame? {
        try withServingSession { session in try session.frame(for: hash) }
    }
}
