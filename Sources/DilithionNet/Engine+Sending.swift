import DilithionReactor
import DilithionWire

/// The send path: frames go into the peer's outbox under the engine lock; the reactor writes them
/// after a `flush` command, or, for replies queued by handlers while nothing else was pending for
/// the peer, the dispatcher writes them itself at the end of its batch (optimistic send,
/// `docs/architecture.md`).
extension Engine {
    /// The most the dispatcher writes for one peer at the end of a batch; a larger outbox (a
    /// block, a long headers reply) goes to the reactor, so that one big copy into the kernel does
    /// not hold up the next batch.
    static let optimisticWriteLimit = 64 * 1024

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
        lock.lock()
        let onDispatcher = dispatcherThread?.isCurrent ?? false
        guard let state = knownState ?? peers[peer], state.lifecycle == .connected else {
            counters.sendsToUnavailablePeers += 1
            lock.unlock()
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
        lock.unlock()
        if needsFlush { wakeReactor(fromDispatcher: onDispatcher) }
        return true
    }

    /// The optimistic send of the batch just handled: writes each registered peer's outbox
    /// straight to its socket (outside the engine lock; the write handle keeps the descriptor open
    /// meanwhile), then hands whatever the socket did not take, and whatever other threads queued
    /// in the meantime, to the reactor with one `flush`. A peer that is closing, over the send cap,
    /// not yet attached to its socket, or has more than ``optimisticWriteLimit`` queued goes to the
    /// reactor directly. Dispatcher thread only.
    func writeOptimisticSends() {
        var wake = false
        lock.withLock {
            for state in optimisticPeers where state.optimisticSend == .pending {
                if state.lifecycle == .connected, !state.isSendPaused, state.outboxBytes <= Self.optimisticWriteLimit,
                   let socket = state.socket {
                    state.optimisticSend = .writing
                    optimisticWrites.append(OptimisticWrite(state: state, chunks: state.outbox, socket: socket))
                    state.outbox = []
                } else {
                    state.optimisticSend = .idle
                    if state.lifecycle == .connected, !state.outbox.isEmpty {
                        reactorCommands.append(.flush(state.id))
                        wake = true
                    }
                }
            }
            optimisticPeers.removeAll(keepingCapacity: true)
        }
        for index in optimisticWrites.indices {
            optimisticWrites[index].outcome = optimisticWrites[index].socket.write(optimisticWrites[index].chunks[...])
        }
        if !optimisticWrites.isEmpty {
            lock.withLock {
                let now = clock.now
                for write in optimisticWrites {
                    if settleLocked(write, now: now) { wake = true }
                }
            }
            optimisticWrites.removeAll(keepingCapacity: true)
        }
        if wake { deferredReactorWake = true }
    }

    /// Books one optimistic write and hands the rest to the reactor; returns whether a `flush` was
    /// queued. Caller holds `lock`.
    private func settleLocked(_ write: OptimisticWrite, now: EngineInstant) -> Bool {
        let state = write.state
        state.optimisticSend = .idle
        var unwritten = write.chunks
        switch write.outcome {
        case .wrote(let count):
            counters.dispatcherWrites += 1
            state.outboxBytes -= count
            state.bytesSent += count
            if count > 0 { state.lastSend = now }
            unwritten = Self.dropping(count, from: write.chunks)
        case .closed:
            unwritten = []  // the reactor closed the socket meanwhile
        case .failed:
            break  // the reactor's write meets the same error and closes with it
        }
        guard state.lifecycle == .connected else { return false }
        if !unwritten.isEmpty {
            state.outbox.insert(contentsOf: unwritten, at: 0)
        }
        guard !state.outbox.isEmpty else { return false }
        // The socket's buffer is full (or another thread sent meanwhile): the reactor writes the
        // rest and registers for writability if it must.
        reactorCommands.append(.flush(state.id))
        return true
    }

    /// `chunks` without their first `count` bytes.
    private static func dropping(_ count: Int, from chunks: [[UInt8]]) -> [[UInt8]] {
        var remaining = count
        var index = 0
        while index < chunks.count, remaining >= chunks[index].count {
            remaining -= chunks[index].count
            index += 1
        }
        guard index < chunks.count else { return [] }
        var rest = Array(chunks[index...])
        if remaining > 0 { rest[0] = Array(rest[0][remaining...]) }
        return rest
    }
}
