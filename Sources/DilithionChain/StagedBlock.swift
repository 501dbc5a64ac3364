import DilithionWire

/// A block that passed validation and whose header is placed in the tree, waiting in a
/// ``BlockWriteBatch`` for the transaction that stores it (``ChainState/commit(_:now:)``). Until
/// then it is not stored: it does not move the active tip and is not served.
public struct StagedBlock: Sendable {
    public let hash: Hash256
    public let height: Int
    public let message: BlockMessage
    /// The frame checksum its payload was verified against on receipt, if any (kept for serving),
    /// with the received payload when the receiver kept it (stored as it came).
    public let payloadChecksum: PayloadChecksum?
}
