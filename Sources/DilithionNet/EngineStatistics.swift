import DilithionReactor
import DilithionSystem

/// Engine-wide counters: disconnects by reason, dispatcher activity and the reactor's event counts.
public struct EngineStatistics: Sendable {
    /// Lifecycle phase.
    public var phase: EnginePhase
    /// Peers in the table (any lifecycle state before `closed`).
    public var peerCount: Int
    /// Disconnects by reason; each disconnect is counted once.
    public var disconnects: [DisconnectReason: Int]
    /// Frames the decoder dropped (bad checksum), all peers.
    public var droppedFrames: Int
    /// Frames the decoder refused, by ``FrameError/detailCode`` (`bad-magic`, `oversize`, `bad-checksum`,
    /// `bad-command/non-printable`, `bad-command/text-after-nul`, `bad-command/unterminated`,
    /// `bad-command/empty`), whether the frame was dropped or the peer disconnected.
    public var frameErrors: [String: Int]
    /// Messages handed to handlers.
    public var messagesDispatched: Int
    /// Messages with no registered handler.
    public var messagesUnhandled: Int
    /// Dispatcher batches that did work (each takes up to
    /// ``EngineConfiguration/dispatchBatchLimit`` messages in round-robin passes under one lock
    /// hold).
    public var dispatcherPasses: Int
    /// Times the dispatcher went to sleep on its condition variable.
    public var dispatcherSleeps: Int
    /// Times the dispatcher polled for new work before sleeping (``EngineConfiguration/dispatcherPoll``).
    public var dispatcherPolls: Int
    /// Polls that work ended (the rest ran out of time and the dispatcher went to sleep).
    public var dispatcherPollHits: Int
    /// `sendmsg` calls the dispatcher made itself (optimistic send); the reactor's are in
    /// ``ReactorStatistics/writes``.
    public var dispatcherWrites: Int
    /// Messages a batch took and then did not deliver, because their peer was disconnected (they
    /// are dropped) or went over the send cap (they went back to the front of its inbox) while the
    /// batch ran.
    public var messagesWithdrawn: Int
    /// Messages a batch took and handed back to their inboxes, untouched and in order, because the
    /// batch had run for ``EngineConfiguration/dispatchBatchBudget``.
    public var messagesDeferred: Int
    /// Whether the dispatcher is asleep on its condition variable right now (nothing to do).
    public var dispatcherIsAsleep: Bool
    /// Whether the dispatcher polls for new work right now (``EngineConfiguration/dispatcherPoll``).
    public var dispatcherIsPolling: Bool
    /// Sends refused because the peer was gone or not connected.
    public var sendsToUnavailablePeers: Int
    /// `accept` calls that failed for lack of a resource (the listener paused each time), by kind.
    public var acceptFailures: [AcceptFailure: Int]
    /// The reactor's counters.
    public var reactor: ReactorStatistics

    /// Disconnects with `reason` so far.
    public func disconnectCount(_ reason: DisconnectReason) -> Int { disconnects[reason] ?? 0 }
}
