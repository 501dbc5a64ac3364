import DilithionSystem
import DilithionWire

/// Header hashing off the calling thread: worker threads, each with its own hasher (one RandomX
/// VM), serving batches from many submitters (``HashScheduler`` has the rules: order, speculation
/// window, round robin, budgets, replay cache).
///
/// Threading contract: ``submit(_:from:)``, ``cancel(_:)``, ``cachedHash(forKey:)``, the counters and
/// ``stop()`` may be called from any thread and never wait for a hash. Completions run on a worker
/// thread (or on the thread calling ``submit(_:from:)``, ``cancel(_:)`` or ``stop()``) with no lock of
/// the service held, so they may call back into it; a submitter's completions run one at a time and
/// in the order of its batches (whichever thread ends a batch queues its outcome under the lock; the
/// thread that finds the submitter's queue idle delivers until it is empty). The workers start at once
/// and prepare the backend (RandomX: cache, dataset) at start or on the first batch
/// (``HashingConfiguration/preparation``); batches submitted meanwhile wait. Call ``stop()`` before
/// dropping the service: the workers hold it.
public final class HeaderHashingService: @unchecked Sendable {
    public let configuration: HashingConfiguration
    private let backend: any HeaderHashBackend
    private let clock: any EngineClock
    private let lock = PThreadMutex()
    /// Signalled when a batch arrives, a hash finishes, preparation advances, the clock is moved by
    /// hand, or the service stops.
    private let changed = ConditionVariable()
    private var scheduler: HashScheduler  // guarded by lock
    /// Outcomes waiting for delivery, per submitter; a key is present while some thread delivers
    /// that submitter's outcomes (and will take the ones queued behind).
    private var pendingDeliveries: [HashSubmitter: [HashScheduler.Delivery]] = [:]  // guarded by lock
    private var preparation = PreparationState()  // guarded by lock
    private var stopping = false  // guarded by lock
    private var workers: [NativeThread] = []  // written in init, read by stop()
    private var clockObserver: Int?  // written in init, read by stop()

    /// How far the workers got preparing the backend.
    private struct PreparationState {
        var requested = false
        var sharedDone = false
        var sharesDone = 0
        var finished = false
        var startedAt: EngineInstant?
        var duration: Duration?
    }

    /// Starts `configuration.workers` worker threads.
    public init(backend: any HeaderHashBackend, configuration: HashingConfiguration = HashingConfiguration(), clock: any EngineClock) {
        self.configuration = configuration
        self.backend = backend
        self.clock = clock
        scheduler = HashScheduler(configuration: configuration)
        preparation.requested = configuration.preparation == .atStart
        if !clock.followsMonotonicTime {
            clockObserver = clock.addAdvanceObserver { [weak self] in self?.wakeWorkers() }
        }
        workers = (0..<configuration.workers).map { index in
            NativeThread(name: "header-hash-\(index)") { [self] in self.runWorker(index) }
        }
    }

    // MARK: Submitting

    /// Queues `batch` for `submitter` (after its earlier batches). After ``stop()`` the batch is
    /// delivered at once as cancelled.
    public func submit(_ batch: HeaderHashBatch, from submitter: HashSubmitter) {
        let claimed: [HashSubmitter] = lock.withLock {
            guard !stopping else {
                return queue([.init(submitter: submitter, completion: batch.completion, outcome: HeaderHashOutcome(hashes: [], cancelled: true))])
            }
            preparation.requested = true
            let deliveries = scheduler.submit(batch, from: submitter, now: clock.now.nanoseconds)
            changed.broadcast()
            return queue(deliveries)
        }
        deliver(claimed)
    }

    /// Ends every batch of `submitter` as cancelled (the peer left) and forgets its budget and
    /// counters; hashes of its jobs still on a worker are discarded. Call it for every submitter that
    /// goes away: the service keeps a small state per submitter until then.
    public func cancel(_ submitter: HashSubmitter) {
        deliver(lock.withLock { queue(scheduler.cancel(submitter)) })
    }

    /// The hash of the header whose SHA3-256 is `key`, if it was hashed and verified before (the
    /// replay cache), without RandomX.
    public func cachedHash(forKey key: Hash256) -> Hash256? {
        lock.withLock { scheduler.cache.hash(forKey: key) }
    }

    // MARK: Counters

    /// Every submitter's counters added up, including those cancelled.
    public func statistics() -> HashingStatistics { lock.withLock { scheduler.totals } }

    /// The counters of `submitter`, nil once it was cancelled or before its first batch.
    public func statistics(for submitter: HashSubmitter) -> HashingStatistics? {
        lock.withLock { scheduler.statistics(for: submitter) }
    }

    /// How long preparing the backend took on the service's clock (RandomX full mode: building the
    /// dataset), nil until it is done.
    public var preparationDuration: Duration? { lock.withLock { preparation.duration } }

    // MARK: Stopping

    /// Cancels every batch (delivered as cancelled), stops and joins the workers. A worker in the
    /// middle of a hash finishes that hash first. Idempotent; not from a completion.
    public func stop() {
        let claimed: [HashSubmitter] = lock.withLock {
            guard !stopping else { return [] }
            stopping = true
            changed.broadcast()
            return queue(scheduler.cancelAll())
        }
        deliver(claimed)
        for worker in workers { worker.join() }
        if let clockObserver { clock.removeAdvanceObserver(clockObserver) }
    }

    // MARK: Workers

    private func wakeWorkers() { lock.withLock { changed.broadcast() } }

    /// Queues `deliveries` behind their submitters' earlier ones; returns the submitters whose
    /// queues were idle, which the calling thread must now ``deliver(_:)``. Called with the lock held.
    private func queue(_ deliveries: [HashScheduler.Delivery]) -> [HashSubmitter] {
        var claimed = [HashSubmitter]()
        for delivery in deliveries {
            if pendingDeliveries[delivery.submitter] == nil {
                pendingDeliveries[delivery.submitter] = []
                claimed.append(delivery.submitter)
            }
            pendingDeliveries[delivery.submitter]?.append(delivery)
        }
        return claimed
    }

    /// Runs the queued completions of each of `submitters` in order, until their queues are empty
    /// (completions may queue more). Called without the lock.
    private func deliver(_ submitters: [HashSubmitter]) {
        for submitter in submitters {
            while let delivery = nextDelivery(for: submitter) { delivery.completion(delivery.outcome) }
        }
    }

    /// The next queued outcome of `submitter`, or nil after marking its queue idle.
    private func nextDelivery(for submitter: HashSubmitter) -> HashScheduler.Delivery? {
        lock.withLock {
            guard var waiting = pendingDeliveries[submitter], !waiting.isEmpty else {
                pendingDeliveries[submitter] = nil
                return nil
            }
            let next = waiting.removeFirst()
            pendingDeliveries[submitter] = waiting
            return next
        }
    }

    private func runWorker(_ index: Int) {
        NativeThread.lowerCurrentThreadPriority(by: configuration.workerNiceness)
        guard prepare(index) else { return }
        let hasher = backend.makeWorkerHasher()
        lock.lock()
        while !stopping {
            let (dispatch, deliveries) = scheduler.next(now: clock.now.nanoseconds)
            let claimed = queue(deliveries)
            if case .hash(let ticket, let bytes) = dispatch {
                lock.unlock()
                deliver(claimed)
                let hash = hasher.hash(bytes)
                lock.lock()
                let finished = queue(scheduler.finish(ticket, hash: hash))
                changed.broadcast()  // the batch's window may have opened for the other workers
                lock.unlock()
                deliver(finished)
                lock.lock()
                continue
            }
            guard deliveries.isEmpty else {
                lock.unlock()
                deliver(claimed)
                lock.lock()
                continue
            }
            if case .waitUntil(let time) = dispatch, clock.followsMonotonicTime {
                changed.wait(lock, untilMonotonicNanoseconds: clock.monotonicNanoseconds(at: EngineInstant(nanoseconds: time)))
            } else {
                changed.wait(lock)  // a manual clock wakes us when it moves
            }
        }
        lock.unlock()
    }

    /// The preparation steps of ``HeaderHashBackend``, in order, with a barrier between them.
    /// Returns false when the service stopped first.
    private func prepare(_ index: Int) -> Bool {
        let shares = configuration.workers
        lock.lock()
        defer { lock.unlock() }
        while !preparation.requested, !stopping { changed.wait(lock) }
        guard !stopping else { return false }
        if index == 0 {
            preparation.startedAt = clock.now
            lock.unlock()
            backend.prepareShared()
            lock.lock()
            preparation.sharedDone = true
            changed.broadcast()
        }
        while !preparation.sharedDone, !stopping { changed.wait(lock) }
        guard !stopping else { return false }
        lock.unlock()
        backend.prepare(share: index, of: shares)
        lock.lock()
        preparation.sharesDone += 1
        if preparation.sharesDone == shares {
            lock.unlock()
            backend.finishPreparation()
            lock.lock()
            preparation.finished = true
            if let startedAt = preparation.startedAt { preparation.duration = clock.now.duration(since: startedAt) }
            changed.broadcast()
        }
        while !preparation.finished, !stopping { changed.wait(lock) }
        return !stopping
    }
}
