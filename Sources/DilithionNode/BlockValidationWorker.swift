import DilithionSystem

/// One thread that runs the block pipeline's jobs off the dispatcher, in the order they were
/// submitted: validating large blocks (merkle tree and txid hashing: a pass over every byte,
/// thread `block-validate`), and committing batches of large blocks (``BlockCommitQueue``, thread
/// `block-commit`). The dispatcher keeps ordering (``BlockDownload``); a job reports back through
/// its own closure.
///
/// Threads: ``submit(_:)`` and ``stop()`` from any thread; jobs run on the worker thread, which
/// starts with the first job (a node that never sees a large block never has it).
final class BlockValidationWorker: @unchecked Sendable {
    /// The thread's name.
    let name: String
    private let lock = PThreadMutex()
    private let changed = ConditionVariable()
    private var jobs: [@Sendable () -> Void] = []  // guarded by lock; FIFO
    private var next = 0  // guarded by lock; index of the oldest job not yet taken
    private var stopping = false  // guarded by lock
    private var thread: NativeThread?  // guarded by lock; started by the first submit

    init(name: String = "block-validate") {
        self.name = name
    }

    /// Queues `job`; false (not queued) once stopping.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        lock.withLock {
            guard !stopping else { return false }
            jobs.append(job)
            if thread == nil {
                thread = NativeThread(name: name) { [self] in run() }
            }
            changed.signal()
            return true
        }
    }

    /// Runs the jobs already queued, then ends the thread and waits for it; called on the thread
    /// itself (its owner released by a job), detaches it instead. Idempotent.
    func stop() {
        let running: NativeThread? = lock.withLock {
            stopping = true
            changed.signal()
            return thread
        }
        guard let running else { return }
        if running.isCurrent { running.detach() } else { running.join() }
    }

    private func run() {
        lock.lock()
        while true {
            if next < jobs.count {
                let job = jobs[next]
                next += 1
                if next == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    next = 0
                }
                lock.unlock()
                job()
                lock.lock()
            } else if stopping {
                break
            } else {
                changed.wait(lock)
            }
        }
        lock.unlock()
    }
}
