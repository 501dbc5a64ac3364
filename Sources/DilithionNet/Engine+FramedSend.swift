import DilithionWire

/// Sending a finished frame: the caller built header and payload in one array (a stored block read
/// straight behind its header, a cached reply), and that array itself becomes a chunk of the peer's
/// outbox, so the bytes reach the socket, from the optimistic send or the reactor, with no copy in
/// between. The send cap, its deadline and the order of a peer's messages hold exactly as for a
/// ``Frame`` sent with `send(_:to:)`: the booking is the same function (``bookQueuedFrameLocked``).
extension Engine {
    /// Queues `frame` for `peer` without copying or hashing it. Returns false if the peer is not
    /// connected. As with every send, a peer whose outbox stays over the send cap is paused and then
    /// disconnected `send-buffer-full`.
    ///
    /// - Precondition: `frame` was built for this engine's network magic.
    @discardableResult
    public func send(_ frame: EncodedFrame, to peer: PeerID) -> Bool {
        precondition(frame.magic == magic, "a frame built for another network")
        table.lock.lock()
        let onDispatcher = dispatcher.isCurrentLocked
        guard let state = table.peers[peer], state.lifecycle == .connected else {
            table.counters.sendsToUnavailablePeers += 1
            table.lock.unlock()
            return false
        }
        let wasIdle = state.outboxBytes == 0
        let wasEmpty = state.outbox.isEmpty
        state.outbox.append(frame.bytes)
        let needsFlush = bookQueuedFrameLocked(
            state, command: frame.command, frameSize: frame.bytes.count, wasIdle: wasIdle, wasEmpty: wasEmpty,
            onDispatcher: onDispatcher)
        table.lock.unlock()
        if needsFlush { wakeReactor(fromDispatcher: onDispatcher) }
        return true
    }

    /// Books a frame just appended to `state`'s outbox: byte counts and per-command totals, the send
    /// cap (pause, then the `send-buffer-full` deadline), and who writes it (the dispatcher at the
    /// end of its batch when nothing else was pending, else the reactor after a `flush`). Returns
    /// whether the reactor must be woken once the lock is released. Caller holds the table's lock.
    func bookQueuedFrameLocked(
        _ state: PeerState, command: String, frameSize: Int, wasIdle: Bool, wasEmpty: Bool, onDispatcher: Bool
    ) -> Bool {
        state.outboxBytes += frameSize
        state.peakOutboxBytes = max(state.peakOutboxBytes, state.outboxBytes)
        state.sent.add(command, bytes: frameSize)
        if state.outboxBytes > configuration.sendCapBytes, state.sendCapExceededSince == nil {
            let now = clock.now
            state.sendCapExceededSince = now
            state.sendPauses += 1
            table.haltDispatchLocked()
            table.scheduleDeadlineLocked(at: now.advanced(by: configuration.sendCapTimeout), .sendCap(state.id, since: now))
        }
        guard state.optimisticSend == .idle else { return false }
        if onDispatcher, wasIdle, configuration.dispatcherWritesDirectly {
            // Nothing queued or unwritten anywhere: the dispatcher writes this at the end of its
            // batch, and the reactor is not involved unless the socket pushes back.
            state.optimisticSend = .pending
            dispatcher.writer.pendingPeers.append(state)
            return false
        }
        guard wasEmpty else { return false }
        table.reactorCommands.append(.flush(state.id))
        return true
    }
}
