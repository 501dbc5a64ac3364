import DilithionReactor
import DilithionSystem
import DilithionWire

/// Everything the engine knows about one peer that more than one thread touches. Every stored
/// property is guarded by the engine lock (`Engine.lock`); the socket itself belongs to
/// the reactor (`ReactorConnection`): only its ``SocketWriteHandle`` is reachable from here, for
/// the dispatcher's optimistic send. (Unchecked Sendable: a ``HandlerContext`` carries a reference,
/// and every access is under the engine lock.)
final class PeerState: @unchecked Sendable {
    let id: PeerID
    let direction: PeerDirection
    let remoteAddress: SocketAddress
    @exclusivity(unchecked) private(set) var lifecycle: PeerLifecycle
    /// Chosen once, when the peer enters `closing` (or at close if the reactor saw the failure first).
    var disconnectReason: DisconnectReason?

    // Inbox: complete frames waiting for the dispatcher. The per-message properties skip the
    // dynamic exclusivity check: the engine lock serializes them (see `Engine`).
    @exclusivity(unchecked) var inbox = FIFOQueue<Frame>()
    @exclusivity(unchecked) var inboxBytes = 0
    @exclusivity(unchecked) var peakInboxBytes = 0
    @exclusivity(unchecked) var isReadPaused = false
    var readPauses = 0
    /// In the dispatcher's ready queue (at most once).
    @exclusivity(unchecked) var isQueuedForDispatch = false

    // Outbox: encoded frames no writer has taken yet, plus the count of every byte queued and not
    // yet written (including bytes the reactor or the dispatcher already took). Small frames are
    // encoded straight into the last chunk, up to `outboxCoalesceBytes`.
    @exclusivity(unchecked) var outbox: [[UInt8]] = []
    @exclusivity(unchecked) var outboxBytes = 0
    @exclusivity(unchecked) var peakOutboxBytes = 0
    /// The dispatcher's optimistic send (see ``OptimisticSend``).
    @exclusivity(unchecked) var optimisticSend = OptimisticSend.idle
    /// The socket for the dispatcher's writes, once the reactor opened it (nil before, and for a
    /// connect in progress).
    var socket: SocketWriteHandle?
    @exclusivity(unchecked) var sendCapExceededSince: EngineInstant?
    var sendPauses = 0

    @exclusivity(unchecked) var partialFrameSince: EngineInstant?
    /// A `partialFrame` deadline for this peer is in the deadline queue (at most one is).
    var partialFrameDeadlineArmed = false

    // Statistics.
    let openedAt: EngineInstant
    var connectedAt: EngineInstant?
    @exclusivity(unchecked) var lastReceive: EngineInstant?
    @exclusivity(unchecked) var lastSend: EngineInstant?
    @exclusivity(unchecked) var bytesReceived = 0
    @exclusivity(unchecked) var bytesSent = 0
    @exclusivity(unchecked) var received = CommandTally()
    @exclusivity(unchecked) var sent = CommandTally()
    var droppedFrames = 0
    /// Dropped frames not yet reported to the handlers, and the last one's error; a `framesDropped`
    /// event is queued when this goes from 0 to 1 (one event per peer at a time, so a flood of bad
    /// frames cannot grow the event queue).
    var unreportedDrops = 0
    var lastDropError: FrameError?

    init(id: PeerID, direction: PeerDirection, remoteAddress: SocketAddress, lifecycle: PeerLifecycle, now: EngineInstant) {
        self.id = id
        self.direction = direction
        self.remoteAddress = remoteAddress
        self.lifecycle = lifecycle
        self.openedAt = now
        if lifecycle == .connected {
            connectedAt = now
        }
    }

    /// Moves the lifecycle on; an illegal transition is a bug and traps.
    func transition(to next: PeerLifecycle) {
        precondition(lifecycle.canTransition(to: next), "\(id): illegal lifecycle transition \(lifecycle) → \(next)")
        lifecycle = next
    }

    /// Requests are not served while the outbox is over the send cap.
    var isSendPaused: Bool { sendCapExceededSince != nil }

    /// The dispatcher may take a message from this peer now.
    var isDispatchable: Bool { lifecycle == .connected && !inbox.isEmpty && !isSendPaused }

    /// Drops queued inbound frames (the peer is leaving).
    func discardInbox() {
        inbox.removeAll()
        inboxBytes = 0
    }

    func snapshot(now: EngineInstant) -> PeerStatistics {
        PeerStatistics(
            peer: id, direction: direction, remoteAddress: remoteAddress, lifecycle: lifecycle,
            connectedAt: connectedAt, connectedFor: connectedAt.map { now.duration(since: $0) } ?? .zero,
            lastReceive: lastReceive, lastSend: lastSend, bytesReceived: bytesReceived, bytesSent: bytesSent,
            received: received.totals, sent: sent.totals, droppedFrames: droppedFrames, inboxMessages: inbox.count,
            inboxBytes: inboxBytes, outboxBytes: outboxBytes, isReadPaused: isReadPaused, isSendPaused: isSendPaused,
            readPauses: readPauses, sendPauses: sendPauses, peakInboxBytes: peakInboxBytes,
            peakOutboxBytes: peakOutboxBytes)
    }
}
