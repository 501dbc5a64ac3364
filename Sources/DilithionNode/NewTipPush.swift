import DilithionChain
import DilithionNet
import DilithionWire

/// What the ``SyncCoordinator`` asks of the compact-block relay when the active tip moves by one
/// block: push it to the peers that asked for that (BIP152 high-bandwidth mode). The coordinator
/// announces the tip to every other peer as before.
protocol NewTipPush: AnyObject, Sendable {
    /// Pushes `record` (a stored block, the new active tip, one block on top of the last announced
    /// tip) to those of `candidates` that asked for pushes, and returns them: they get no other
    /// announcement. `block` is the block when the caller has it at hand (else it is read from the
    /// store). `source` delivered the block to us (nil when we made it).
    func pushNewTip(_ record: HeaderRecord, block: BlockMessage?, to candidates: [PeerID], deliveredBy source: PeerID?) -> Set<PeerID>
}
