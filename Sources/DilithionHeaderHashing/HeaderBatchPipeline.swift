import DilithionChain
import DilithionSystem
import DilithionWire

/// One `headers` message at a time per peer through the whole legacy header path: the cheap
/// pre-check against the tree (``HeaderBatchSink``), then the hashing service (in order, stopping at
/// the first hash that fails its check), then the tree; again for the rest of the message when the
/// pre-check stopped at a header only the tree could judge
/// (``HeaderBatchPlan/HashCheck/mustAlreadyBeKnown``).
///
/// A message is pre-checked in growing windows (``firstWindow`` headers, then twice as many each
/// step), so garbage costs the calling thread a pre-check of one window, not of the whole message.
///
/// A message of garbage costs at most one RandomX hash; a message the tree already has costs none
/// while the replay cache remembers it. A submitter's messages are processed one after another (the
/// next one's pre-check needs the previous one's headers in the tree), at most
/// ``maxWaitingMessages`` waiting behind the one in progress. Each completion runs once, on a hashing
/// worker or on the calling thread, with no lock held.
public final class HeaderBatchPipeline: @unchecked Sendable {
    public let service: HeaderHashingService
    public let sink: any HeaderBatchSink
    /// Messages of one submitter that may wait behind the one in progress; more are not looked at
    /// (``HeaderBatchResult/overloaded``).
    public let maxWaitingMessages: Int
    /// Headers the first pre-check of a message looks at; each further step looks at twice as many
    /// as the one before. A message of garbage passes the cheap checks header after header (only a
    /// hash tells that the second does not link to the first), so without this window the calling
    /// thread (the node's dispatcher) would pre-check all 2,000 for the one hash that ends it.
    public static let firstWindow = 32

    private struct Message {
        let headers: [BlockHeader]
        let completion: @Sendable (HeaderBatchResult) -> Void
    }

    /// A submitter with a message in progress, and the messages waiting behind it.
    private struct Queue {
        let run: UInt64
        var waiting: [Message] = []
    }

    private let lock = PThreadMutex()
    private var queues: [HashSubmitter: Queue] = [:]  // guarded by lock
    private var nextRun: UInt64 = 1  // guarded by lock
    /// Runs cancelled while in progress, until their completion (``finished(run:of:)``): a batch
    /// submitted to the service after the cancellation must be cancelled there too. Bounded by the
    /// runs in progress (each completes exactly once).
    private var cancelledRuns: Set<UInt64> = []  // guarded by lock

    public init(service: HeaderHashingService, sink: any HeaderBatchSink, maxWaitingMessages: Int = 8) {
        self.service = service
        self.sink = sink
        self.maxWaitingMessages = max(maxWaitingMessages, 0)
    }

    /// Processes `headers` from `submitter` after its earlier messages.
    public func process(
        _ headers: [BlockHeader], from submitter: HashSubmitter, completion: @escaping @Sendable (HeaderBatchResult) -> Void
    ) {
        enum Decision { case start(UInt64), wait, overloaded }
        let decision: Decision = lock.withLock {
            if var queue = queues[submitter] {
                guard queue.waiting.count < maxWaitingMessages else { return .overloaded }
                queue.waiting.append(Message(headers: headers, completion: completion))
                queues[submitter] = queue
                return .wait
            }
            let run = nextRun
            nextRun += 1
            queues[submitter] = Queue(run: run)
            return .start(run)
        }
        switch decision {
        case .start(let run): start(Message(headers: headers, completion: completion), run: run, from: submitter)
        case .wait: break
        case .overloaded: completion(HeaderBatchResult(acceptedCount: 0, overloaded: true))
        }
    }

    /// Ends the submitter's messages (the peer left): the one in progress and those waiting complete
    /// as cancelled; its state in the hashing service is dropped.
    public func cancel(_ submitter: HashSubmitter) {
        let waiting: [Message] = lock.withLock {
            guard let queue = queues.removeValue(forKey: submitter) else { return [] }
            cancelledRuns.insert(queue.run)
            return queue.waiting
        }
        service.cancel(submitter)
        for message in waiting { message.completion(HeaderBatchResult(acceptedCount: 0, cancelled: true)) }
    }

    // MARK: Running a message

    private func start(_ message: Message, run: UInt64, from submitter: HashSubmitter) {
        step(message.headers[...], window: Self.firstWindow, acceptedSoFar: 0, lastSoFar: nil, run: run, from: submitter) { result in
            message.completion(result)
            self.finished(run: run, of: submitter)
        }
    }

    /// Starts the submitter's next waiting message, if any (and if it was not cancelled meanwhile).
    private func finished(run: UInt64, of submitter: HashSubmitter) {
        let next: (Message, UInt64)? = lock.withLock {
            cancelledRuns.remove(run)
            guard var queue = queues[submitter], queue.run == run else { return nil }
            guard !queue.waiting.isEmpty else {
                queues[submitter] = nil
                return nil
            }
            let message = queue.waiting.removeFirst()
            let nextRun = self.nextRun
            self.nextRun += 1
            queues[submitter] = Queue(run: nextRun, waiting: queue.waiting)
            return (message, nextRun)
        }
        if let (message, run) = next { start(message, run: run, from: submitter) }
    }

    private func isCurrent(_ run: UInt64, of submitter: HashSubmitter) -> Bool {
        lock.withLock { queues[submitter]?.run == run }
    }

    /// Pre-checks the first `window` headers of `remaining`, hashes what passed, inserts it, and goes
    /// on with the rest (twice the window) unless something failed.
    private func step(
        _ remaining: ArraySlice<BlockHeader>, window: Int, acceptedSoFar: Int, lastSoFar: Hash256?, run: UInt64,
        from submitter: HashSubmitter, completion: @escaping @Sendable (HeaderBatchResult) -> Void
    ) {
        guard isCurrent(run, of: submitter) else {
            return completion(HeaderBatchResult(acceptedCount: acceptedSoFar, cancelled: true, lastHash: lastSoFar))
        }
        let plan = sink.precheck(Array(remaining.prefix(window)), cachedHash: { service.cachedHash(forKey: $0) })
        guard !plan.entries.isEmpty else {
            return completion(
                HeaderBatchResult(acceptedCount: acceptedSoFar, rejection: plan.rejection?.reason, lastHash: lastSoFar))
        }
        let batch = plan.hashingBatch { [self] outcome in
            let verified = plan.entries.prefix(outcome.hashes.count).map(\.header)
            let inserted = outcome.cancelled ? (accepted: 0, rejection: nil) : sink.insert(verified, hashes: outcome.hashes)
            let accepted = acceptedSoFar + inserted.accepted
            let last = outcome.cancelled ? lastSoFar : outcome.hashes.last ?? lastSoFar
            if let rejection = inserted.rejection {
                return completion(HeaderBatchResult(acceptedCount: accepted, rejection: rejection, lastHash: lastSoFar))
            }
            if outcome.cancelled {
                return completion(HeaderBatchResult(acceptedCount: accepted, cancelled: true, lastHash: last))
            }
            if let rejection = plan.rejection(after: outcome) {
                return completion(HeaderBatchResult(acceptedCount: accepted, rejection: rejection, lastHash: last))
            }
            guard plan.examinedCount < remaining.count else {
                return completion(HeaderBatchResult(acceptedCount: accepted, lastHash: last))
            }
            // The window passed, or the tree took a header only it could judge (it already had it):
            // go on with the rest.
            step(
                remaining.dropFirst(plan.examinedCount), window: window * 2, acceptedSoFar: accepted, lastSoFar: last,
                run: run, from: submitter, completion: completion)
        }
        service.submit(batch, from: submitter)
        // Cancelled between the check above and the submission: cancel what was just submitted. (Not
        // merely "no longer current": a batch that completed within `submit` has ended the run, and
        // cancelling then would forget the submitter's budget and counters.)
        if lock.withLock({ cancelledRuns.contains(run) }) { service.cancel(submitter) }
    }
}
