import DilithionChain
import DilithionNet
import DilithionWire

/// What became of received blocks (``BlockDownload``), for the ``SyncCoordinator`` to act on in this
/// order: announcements, penalties, headers requests.
enum BlockOutcome {
    /// Committed: stored from now on. `message` is the block (announcements push it).
    case stored(CommittedBlock, from: PeerID, message: BlockMessage)
    /// Refused: the sender gets the rejection's points.
    case rejected(ChainRejection, from: PeerID)
    /// Its parent is unknown: ask the sender for headers.
    case orphan(from: PeerID)
    /// Nothing to do but count it (`reason` is the ignored-message counter's).
    case ignored(reason: String)
}
