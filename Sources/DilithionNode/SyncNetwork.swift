import DilithionNet
import DilithionWire

/// What the ``SyncCoordinator`` needs from the node around it: messages out, and the consequences
/// for a peer. The node implements it over its engine (``NodeSyncLink``); the coordinator's unit
/// tests implement it with a recorder, so they run on a manual clock without sockets.
///
/// Implementations must not call back into the coordinator synchronously (the coordinator calls them
/// without holding its own lock, but a re-entrant call would still run sync logic out of order).
protocol SyncNetwork: AnyObject, Sendable {
    /// Queues `message` to `peer` (dropped when the peer is gone).
    func send(_ message: Message, to peer: PeerID)
    /// Queues a finished frame (a cached `headers` reply): its array goes into the peer's outbox as
    /// it is, with nothing encoded, hashed or copied again.
    func send(_ frame: EncodedFrame, to peer: PeerID)
    /// Disconnects `peer` with `reason`.
    func disconnect(_ peer: PeerID, reason: DisconnectReason)
    /// Adds misbehaviour points with a logged reason (ban and disconnect at 100, as the node's policy says).
    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String)
    /// Bans `host` (an address no longer connected) for the default duration, unless it is a manual peer's.
    func ban(host: String, reason: String)
    /// Counts a message ignored by policy.
    func countIgnored(_ reason: String)
    /// True while `peer`'s outbox is over the send cap (it gets no new requests).
    func isOverSendCap(_ peer: PeerID) -> Bool
    /// Has the dispatcher call ``SyncCoordinator/offDispatcherWorkReady(for:)`` for `peer` soon (if
    /// it is still connected); callable from any thread (the hashing and block-validation workers).
    func wakeDispatcher(for peer: PeerID)
}
