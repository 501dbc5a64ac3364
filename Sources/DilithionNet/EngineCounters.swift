import DilithionReactor

/// Engine-wide counters, guarded by the engine lock.
struct EngineCounters {
    var disconnects: [DisconnectReason: Int] = [:]
    var droppedFrames = 0
    /// Frames the decoder refused, by ``FrameError/detailCode`` (dropped and disconnecting alike).
    var frameErrors: [String: Int] = [:]
    var messagesDispatched = 0
    var messagesUnhandled = 0
    var dispatcherPasses = 0
    var dispatcherSleeps = 0
    var dispatcherPolls = 0
    var dispatcherPollHits = 0
    var dispatcherWrites = 0
    var messagesWithdrawn = 0
    var messagesDeferred = 0
    var sendsToUnavailablePeers = 0
    /// `accept` calls that failed for lack of a resource, by kind.
    var acceptFailures: [AcceptFailure: Int] = [:]
    /// Traffic of the peers that left the table (added when each is finalized).
    var departedTraffic = TrafficTotals()
}
