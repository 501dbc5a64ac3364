import DilithionWire

/// The hashing service's bookkeeping, with no threads, locks or clock of its own (the service keeps
/// it under its lock and passes the time in), so every rule below is tested step by step:
///
/// - **order**: a submitter's batches run one after another, and a batch's jobs are verified in
///   order; the first job that fails its ``HashRequirement`` stops the batch;
/// - **speculation**: a batch may have jobs in flight on several workers, but only up to a window
///   that starts at one job and doubles with every verified job (up to the worker count), so a batch
///   of garbage costs exactly one hash and an honest batch soon uses every worker;
/// - **fairness**: workers take jobs from the submitters in turn (round robin);
/// - **budget**: each RandomX hash spends one unit of its submitter's ``HashBudget``; a submitter
///   out of budget waits while the others are served;
/// - **replay cache**: a job whose hash is known (from the batch or the ``HashReplayCache``) is
///   answered without RandomX and without budget.
///
/// Every batch is delivered exactly once (``Delivery``): completed, failed at a job, or cancelled.
struct HashScheduler {
    /// A job handed to a worker.
    struct Ticket: Sendable, Equatable {
        let submitter: HashSubmitter
        let batchID: UInt64
        let index: Int
    }

    /// What a worker should do next.
    enum Dispatch: Equatable {
        /// Hash these bytes, then report with ``HashScheduler/finish(_:hash:)``.
        case hash(Ticket, bytes: [UInt8])
        /// Nothing runnable before this time of the clock (every submitter with work is out of budget).
        case waitUntil(UInt64)
        /// Nothing to do until a batch arrives or a hash finishes.
        case idle
    }

    /// A batch's outcome, to be handed to its completion with no lock held.
    struct Delivery {
        let submitter: HashSubmitter
        let completion: @Sendable (HeaderHashOutcome) -> Void
        let outcome: HeaderHashOutcome
    }

    private struct BatchState {
        let id: UInt64
        let jobs: [HeaderHashJob]
        let completion: @Sendable (HeaderHashOutcome) -> Void
        /// Jobs handed out or answered so far (the next one to take is at this index).
        var taken = 0
        /// Hashes known so far, by job; `hashedByWorker` tells which cost a RandomX hash.
        var results: [Hash256?]
        var hashedByWorker: [Bool]
        /// The verified leading hashes.
        var verified: [Hash256] = []
        /// How many jobs may be taken beyond the verified ones.
        var window = 1
    }

    private struct SubmitterState {
        var batches: [BatchState] = []
        var budget: HashBudget
        var statistics = HashingStatistics()
        /// The job at the front already counted one budget wait.
        var waitCounted = false
    }

    /// The widest a batch's window grows (the worker count).
    let maxWindow: Int
    private let budgetRate: Int
    private let budgetBurst: Int
    private(set) var cache: HashReplayCache
    private var submitters: [HashSubmitter: SubmitterState] = [:]
    /// Submitters with queued batches, in service order; ``nextTurn`` is the next to be asked.
    private var rotation: [HashSubmitter] = []
    private var nextTurn = 0
    private var nextBatchID: UInt64 = 1
    /// Counters of submitters that were cancelled.
    private var departed = HashingStatistics()

    init(configuration: HashingConfiguration) {
        maxWindow = configuration.workers
        budgetRate = configuration.budgetPerSecond
        budgetBurst = configuration.budgetBurst
        cache = HashReplayCache(capacity: configuration.replayCacheCapacity)
    }

    // MARK: Submitting and cancelling

    /// Queues `batch` behind the submitter's earlier ones. An empty batch is delivered at once.
    mutating func submit(_ batch: HeaderHashBatch, from submitter: HashSubmitter, now: UInt64) -> [Delivery] {
        var state = submitters[submitter] ?? SubmitterState(budget: HashBudget(rate: budgetRate, burst: budgetBurst, now: now))
        state.statistics.batchesSubmitted += 1
        guard !batch.jobs.isEmpty else {
            state.statistics.batchesCompleted += 1
            submitters[submitter] = state
            return [Delivery(submitter: submitter, completion: batch.completion, outcome: HeaderHashOutcome(hashes: []))]
        }
        state.statistics.jobsQueued += batch.jobs.count
        state.batches.append(
            BatchState(
                id: nextBatchID, jobs: batch.jobs, completion: batch.completion,
                results: Array(repeating: nil, count: batch.jobs.count),
                hashedByWorker: Array(repeating: false, count: batch.jobs.count)))
        nextBatchID += 1
        submitters[submitter] = state
        if !rotation.contains(submitter) { rotation.append(submitter) }
        return []
    }

    /// Ends every batch of `submitter` as cancelled and forgets it (its counters go to the totals).
    /// Hashes of its jobs still on a worker are discarded when they come back.
    mutating func cancel(_ submitter: HashSubmitter) -> [Delivery] {
        guard var state = submitters.removeValue(forKey: submitter) else { return [] }
        let deliveries = state.batches.map {
            Delivery(submitter: submitter, completion: $0.completion, outcome: HeaderHashOutcome(hashes: $0.verified, cancelled: true))
        }
        state.statistics.batchesCancelled += state.batches.count
        state.statistics.jobsQueued -= state.batches.reduce(0) { $0 + $1.jobs.count - $1.taken }
        departed.add(state.statistics)
        removeFromRotation(submitter)
        return deliveries
    }

    /// Cancels every submitter (the service is stopping).
    mutating func cancelAll() -> [Delivery] {
        submitters.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { cancel($0) }
    }

    // MARK: Dispatching

    /// The next job for a worker at clock time `now`, after answering every job at the front of the
    /// queues whose hash is already known.
    mutating func next(now: UInt64) -> (Dispatch, [Delivery]) {
        var deliveries = [Delivery]()
        var earliestBudget: UInt64?
        var asked = 0
        while asked < rotation.count {
            let submitter = rotation[nextTurn]
            guard var state = submitters[submitter], var batch = state.batches.first else {
                removeFromRotation(submitter)
                continue
            }
            guard batch.taken < batch.jobs.count, batch.taken - batch.verified.count < batch.window else {
                passTurn()
                asked += 1
                continue
            }
            let index = batch.taken
            let job = batch.jobs[index]
            if let hash = job.knownHash ?? cache.hash(forKey: job.cacheKey) {
                batch.taken += 1
                batch.results[index] = hash
                state.statistics.hashesAvoided += 1
                state.statistics.jobsQueued -= 1
                deliveries += store(batch, state, for: submitter)
                continue  // same submitter: the answer may have opened its window
            }
            let allowed = state.budget.nextAllowed(now: now)
            guard allowed <= now else {
                if !state.waitCounted {
                    state.statistics.budgetWaits += 1
                    state.waitCounted = true
                    submitters[submitter] = state
                }
                earliestBudget = min(earliestBudget ?? allowed, allowed)
                passTurn()
                asked += 1
                continue
            }
            state.budget.spend(now: now)
            state.waitCounted = false
            state.statistics.hashesComputed += 1
            state.statistics.jobsQueued -= 1
            batch.taken += 1
            batch.hashedByWorker[index] = true
            state.batches[0] = batch
            submitters[submitter] = state
            passTurn()
            return (.hash(Ticket(submitter: submitter, batchID: batch.id, index: index), bytes: job.bytes), deliveries)
        }
        return (earliestBudget.map { .waitUntil($0) } ?? .idle, deliveries)
    }

    /// Records the hash a worker computed for `ticket` and verifies what can be verified.
    mutating func finish(_ ticket: Ticket, hash: Hash256) -> [Delivery] {
        guard var state = submitters[ticket.submitter] else {
            departed.hashesDiscarded += 1
            return []
        }
        guard var batch = state.batches.first, batch.id == ticket.batchID else {
            state.statistics.hashesDiscarded += 1
            submitters[ticket.submitter] = state
            return []
        }
        batch.results[ticket.index] = hash
        return store(batch, state, for: ticket.submitter)
    }

    // MARK: Verification

    /// Verifies `batch` (the front batch of `submitter`, changed by the caller) as far as its
    /// results reach, stores it and its submitter, and delivers it when it is over.
    private mutating func store(_ batch: BatchState, _ state: SubmitterState, for submitter: HashSubmitter) -> [Delivery] {
        var batch = batch
        var state = state
        while batch.verified.count < batch.jobs.count, let hash = batch.results[batch.verified.count] {
            let index = batch.verified.count
            let job = batch.jobs[index]
            if let reason = Self.failure(of: job, hash: hash, previous: batch.verified.last) {
                state.statistics.batchesFailed += 1
                state.statistics.jobsQueued -= batch.jobs.count - batch.taken
                state.statistics.hashesDiscarded += (index + 1..<batch.jobs.count).filter {
                    batch.hashedByWorker[$0] && batch.results[$0] != nil
                }.count
                return endFrontBatch(
                    of: submitter, state: state,
                    Delivery(
                        submitter: submitter, completion: batch.completion,
                        outcome: HeaderHashOutcome(hashes: batch.verified, failure: HashFailure(index: index, reason: reason))))
            }
            batch.verified.append(hash)
            cache.insert(key: job.cacheKey, hash: hash)
            batch.window = min(batch.window * 2, maxWindow)
        }
        if batch.verified.count == batch.jobs.count {
            state.statistics.batchesCompleted += 1
            return endFrontBatch(
                of: submitter, state: state,
                Delivery(submitter: submitter, completion: batch.completion, outcome: HeaderHashOutcome(hashes: batch.verified)))
        }
        state.batches[0] = batch
        submitters[submitter] = state
        return []
    }

    /// Removes the front batch of `submitter` (its in-flight hashes will be discarded on return).
    private mutating func endFrontBatch(of submitter: HashSubmitter, state: SubmitterState, _ delivery: Delivery) -> [Delivery] {
        var state = state
        state.batches.removeFirst()
        submitters[submitter] = state
        if state.batches.isEmpty { removeFromRotation(submitter) }
        return [delivery]
    }

    /// Why `hash` does not meet `job`'s requirement, or nil. `previous` is the hash of the job
    /// before it in the batch.
    static func failure(of job: HeaderHashJob, hash: Hash256, previous: Hash256?) -> HashFailure.Reason? {
        if job.requirement.extendsPreviousJob, job.previousBlockHash != previous { return .notLinked }
        if let target = job.requirement.target, !(hash < target) { return .highHash }
        if let expected = job.requirement.expectedHash, expected != hash { return .checkpointMismatch }
        return nil
    }

    // MARK: Rotation

    private mutating func passTurn() {
        nextTurn = rotation.isEmpty ? 0 : (nextTurn + 1) % rotation.count
    }

    private mutating func removeFromRotation(_ submitter: HashSubmitter) {
        guard let position = rotation.firstIndex(of: submitter) else { return }
        rotation.remove(at: position)
        if position < nextTurn { nextTurn -= 1 }
        if nextTurn >= rotation.count { nextTurn = 0 }
    }

    // MARK: Counters

    /// The counters of `submitter`, nil when it has none (never submitted, or cancelled).
    func statistics(for submitter: HashSubmitter) -> HashingStatistics? { submitters[submitter]?.statistics }

    /// Every submitter's counters added up, including cancelled ones.
    var totals: HashingStatistics {
        var total = departed
        for state in submitters.values { total.add(state.statistics) }
        return total
    }
}
