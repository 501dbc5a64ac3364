import DilithionReactor
import DilithionSystem

/// The dispatcher's own writes (optimistic send, ``OptimisticSend``): a handler's reply to a peer
/// with nothing queued or unwritten is written by the dispatcher at the end of its batch, straight
/// through the peer's ``SocketWriteHandle``, instead of waking the reactor.
///
/// Ownership: confined to the dispatcher thread, except that the send path appends to
/// `pendingPeers` under the table's lock, and only on the dispatcher thread (a send from the
/// dispatcher's own handlers). Peer states are the ``PeerTable``'s, under its lock.
final class OptimisticWriter: @unchecked Sendable {
    let table: PeerTable
    let clock: EngineClock

    // dispatcher thread only (appended to under the table's lock by sends on the dispatcher
    // thread): peers whose outbox the dispatcher writes itself at the end of the batch
    @exclusivity(unchecked) var pendingPeers: [PeerState] = []
    // dispatcher thread only: the writes of `pendingPeers` (kept to reuse its storage)
    @exclusivity(unchecked) private var writes: [OptimisticWrite] = []

    init(table: PeerTable, clock: EngineClock) {
        self.table = table
        self.clock = clock
    }

    /// Whether a send registered a peer during this batch. Dispatcher thread only.
    var hasPending: Bool { !pendingPeers.isEmpty }

    /// The most the dispatcher writes for one peer at the end of a batch; a larger outbox (a
    /// block, a long headers reply) goes to the reactor, so that one big copy into the kernel does
    /// not hold up the next batch.
    static let optimisticWriteLimit = 64 * 1024

    /// The optimistic send of the batch just handled: writes each registered peer's outbox
    /// straight to its socket (outside the engine lock; the write handle keeps the descriptor open
    /// meanwhile), then hands whatever the socket did not take, and whatever other threads queued
    /// in the meantime, to the reactor with one `flush`. A peer that is closing, over the send cap,
    /// not yet attached to its socket, or has more than ``optimisticWriteLimit`` queued goes to the
    /// reactor directly. Returns whether a `flush` was queued (the reactor must be woken).
    func writePending() -> Bool {
        var wake = false
        table.lock.withLock {
            for state in pendingPeers where state.optimisticSend == .pending {
                if state.lifecycle == .connected, !state.isSendPaused, state.outboxBytes <= Self.optimisticWriteLimit,
                   let socket = state.socket {
                    state.optimisticSend = .writing
                    writes.append(OptimisticWrite(state: state, chunks: state.outbox, socket: socket))
                    state.outbox = []
                } else {
                    state.optimisticSend = .idle
                    if state.lifecycle == .connected, !state.outbox.isEmpty {
                        table.reactorCommands.append(.flush(state.id))
                        wake = true
                    }
                }
            }
            pendingPeers.removeAll(keepingCapacity: true)
        }
        for index in writes.indices {
            writes[index].outcome = writes[index].socket.write(writes[index].chunks[...])
        }
        if !writes.isEmpty {
            table.lock.withLock {
                let now = clock.now
                for write in writes {
                    if settleLocked(write, now: now) { wake = true }
                }
            }
            writes.removeAll(keepingCapacity: true)
        }
        return wake
    }

    /// Books one optimistic write and hands the rest to the reactor; returns whether a `flush` was
    /// queued. Caller holds `lock`.
    private func settleLocked(_ write: OptimisticWrite, now: EngineInstant) -> Bool {
        let state = write.state
        state.optimisticSend = .idle
        var unwritten = write.chunks
        switch write.outcome {
        case .wrote(let count):
            table.counters.dispatcherWrites += 1
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
        table.reactorCommands.append(.flush(state.id))
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
