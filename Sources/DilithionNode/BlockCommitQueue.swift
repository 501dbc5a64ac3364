import DilithionSystem

/// Commits of large-block batches off the dispatcher, one at a time and in the order handed over,
/// on a thread of their own (`block-commit`): while a batch of 1 MiB blocks is written to the
/// store (the WAL writes are most of a commit's cost), the dispatcher goes on taking blocks in,
/// handing them to the validation worker and asking for more, instead of stopping for the write.
///
/// Each commit's outcomes wait here, in commit order, until the dispatcher takes them
/// (``takeFinished()``, at the start of every ``BlockDownload/drain()``); the commit's job wakes the
/// dispatcher through a sender of the batch. The store write is the same transaction as on the
/// dispatcher: a block counts as stored (tip, RPC, serving) only once it committed, so the kill -9
/// promise is unchanged.
///
/// Bounded: at most one batch is being committed while the next one is staged; handing over a
/// batch while the previous one is still being written waits for it (what a commit on the
/// dispatcher costs anyway), so at most two batches are held at once.
///
/// Threads: ``submit(_:)``, ``waitUntilIdle()`` and ``takeFinished()`` from the dispatcher (and
/// the stopping thread); the commits run on the committing thread.
final class BlockCommitQueue: @unchecked Sendable {
    private let thread = BlockValidationWorker(name: "block-commit")
    private let lock = PThreadMutex()
    private let idle = ConditionVariable()
    private var pending = 0  // guarded by lock; batches handed over whose commit has not finished
    private var finished: [BlockOutcome] = []  // guarded by lock; outcomes of finished commits, in order

    /// Waits until no commit is in progress, then hands `commit` (which stores a batch and returns
    /// its outcomes) to the committing thread; `committed` runs there after the outcomes were
    /// queued (the dispatcher's wake). False when stopping (nothing queued: commit on the caller).
    func submit(_ commit: @escaping @Sendable () -> [BlockOutcome], committed: @escaping @Sendable () -> Void) -> Bool {
        waitUntilIdle()
        lock.withLock { pending += 1 }
        let queued = thread.submit { [self] in
            let outcomes = commit()
            lock.withLock {
                finished += outcomes
                pending -= 1
                idle.broadcast()
            }
            committed()
        }
        if !queued { lock.withLock { pending -= 1 } }
        return queued
    }

    /// Returns once every batch handed over is committed.
    func waitUntilIdle() {
        lock.withLock {
            while pending > 0 { idle.wait(lock) }
        }
    }

    /// The outcomes of the commits finished since the last call, in commit order.
    func takeFinished() -> [BlockOutcome] {
        lock.withLock {
            defer { finished.removeAll() }
            return finished
        }
    }

    /// Finishes the commits handed over and ends the thread. Idempotent.
    func stop() { thread.stop() }
}
