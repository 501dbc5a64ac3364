import DilithionNet
import DilithionSystem
import DilithionWire

/// What the ``PeerProtocol`` tells the components beside it about peers: the node forwards these to
/// the ``SyncCoordinator`` and the ``BlockServer``; a unit test records them.
///
/// Called on the dispatcher thread with no peer-protocol lock held, so an implementation may
/// take its own lock (the sync coordinator's is a leaf) but must not call back into the peer protocol
/// synchronously.
protocol PeerEvents: AnyObject, Sendable {
    /// `peer` completed its handshake with `version`, from `host`.
    func peerEstablished(_ peer: PeerID, version: VersionMessage, host: String)
    /// `peer`, which had completed its handshake, left; its per-peer state elsewhere can go (a peer
    /// that never completed it gets no call: nothing behind the handshake gate knew it).
    func peerLeft(_ peer: PeerID)
    /// `peer` asked for `headers` announcements (`sendheaders`, or `sendcmpct`, which we answer the same way).
    func peerWantsHeaders(_ peer: PeerID)
    /// `peer` sent `sendcmpct`: whether it wants new blocks pushed (high-bandwidth mode).
    func peerSentSendCompact(_ request: SendCompactMessage, from peer: PeerID)
    /// Outcomes of `peer`'s legacy `headers` messages, or blocks validated off the dispatcher, are
    /// waiting (the zero-delay timer the sync coordinator scheduled from a hashing or validation
    /// worker).
    func legacyHeadersReady(for peer: PeerID)
    /// The per-peer keepalive tick: time-driven work (stalls, pruning) may run.
    func tick(now: EngineInstant)
    /// Peers that delivered a block within `window` before `now` (eviction protects them).
    func peersThatDeliveredBlocks(since now: EngineInstant, within window: Duration) -> Set<PeerID>
}
