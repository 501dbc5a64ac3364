import DilithionReactor
import DilithionWire

/// The send path: frames go into the peer's outbox under the engine lock; the reactor writes them
/// after a `flush` command, or, for replies queued by handlers while nothing else was pending for
/// the peer, the dispatcher writes them itself at the end of its batch (optimistic send,
/// `docs/architecture.md`).
extension Engine {
    /// Queues a message for `peer`. The checksum is computed before the engine lock is taken; a
    /// small frame is then encoded straight into the outbox (no buffer of its own), a large one
    /// into its own chunk beforehand. Returns false if the peer is not connected. Never drops
    /// silently: an outbox over the send cap keeps growing only by what handlers already decided
    /// to send, and the peer is disconnected `send-buffer-full` if it stays over the cap.
    @discardableResult
    public func send(command: String, payload: [UInt8], to peer: PeerID) -> Bool {
        payload.withUnsafeBytes { enqueue(command: command, payload: $0, checksum: nil, to: peer, state: nil) }
    }

    /// Queues a frame for `peer`; see ``send(command:payload:to:)``. A frame that came from a
    /// decoder keeps its verified checksum (relaying it hashes nothing).
    @discardableResult
    public func send(_ frame: Frame, to peer: PeerID) -> Bool {
        frame.withUnsafePayload {
            enqueue(command: frame.command, payload: $0, checksum: frame.verifiedChecksum, to: peer, state: nil)
        }
    }

    /// Queues one frame for `peer` (`state`, when the caller has it, spares the table lookup).
    /// `checksum`, when given, must be the frame checksum of exactly `payload`.
    func enqueue(
        command: String, payload: UnsafeRawBufferPointer, checksum knownChecksum: UInt32?, to peer: PeerID,
        state knownState: PeerState?
    ) -> Bool {
        let frameSize = Limits.frameHeaderSize + payload.count
        let checksum = knownChecksum ?? SHA3.checksum(payload)
        let coalesceLimit = configuration.outboxCoalesceBytes
        var ownChunk: [UInt8] = []
        if frameSize >= coalesceLimit {
            FrameEncoder.encode(magic: magic, command: command, payload: payload, checksum: checksum, into: &ownChunk)
        }
        table.lock.lock()
        let onDispatcher = dispatcher.isCurrentLocked
        guard let state = knownState ?? table.peers[peer], state.lifecycle == .connected else {
            table.counters.sendsToUnavailablePeers += 1
            table.lock.unlock()
            return false
        }
        let wasIdle = state.outboxBytes == 0
        let wasEmpty = state.outbox.isEmpty
        if !ownChunk.isEmpty {
            state.outbox.append(ownChunk)
        } else if let last = state.outbox.indices.last, state.outbox[last].count + frameSize <= coalesceLimit {
            FrameEncoder.encode(
                magic: magic, command: command, payload: payload, checksum: checksum, into: &state.outbox[last])
        } else {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(max(frameSize, 1024))
            FrameEncoder.encode(magic: magic, command: command, payload: payload, checksum: checksum, into: &chunk)
            state.outbox.append(chunk)
        }
        let needsFlush = bookQueuedFrameLocked(
            state, command: command, frameSize: frameSize, wasIdle: wasIdle, wasEmpty: wasEmpty, onDispatcher: onDispatcher)
        table.lock.unlock()
        if needsFlush { wakeReactor(fromDispatcher: onDispatcher) }
        return true
    }
}
