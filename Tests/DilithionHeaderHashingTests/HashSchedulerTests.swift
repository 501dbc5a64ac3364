import DilithionWire
import VectorSupport
import XCTest

@testable import DilithionHeaderHashing

/// The scheduler's rules step by step, as a worker would drive it, with the time passed by hand.
final class HashSchedulerTests: XCTestCase {
    private let alice = HashSubmitter(1)
    private let bob = HashSubmitter(2)
    private let carol = HashSubmitter(3)
    /// Any hash with its top word clear is below it (``MinedNonceHasher/minedNonce`` headers).
    private let easyTarget = Hash256(w0: 0, w1: 0, w2: 0, w3: 1 << 40)

    private func header(_ tag: UInt32, nonce: UInt32 = MinedNonceHasher.minedNonce, previous: Hash256 = .zero) -> BlockHeader {
        BlockHeader(version: 1, previousBlockHash: previous, merkleRoot: Hash256(w0: UInt64(tag), w1: 0, w2: 0, w3: 0),
                    time: 1000 + tag, bits: 0x207F_FFFF, nonce: nonce)
    }

    private func job(_ tag: UInt32, nonce: UInt32 = MinedNonceHasher.minedNonce, previous: Hash256 = .zero,
                     extends: Bool = false, expected: Hash256? = nil) -> HeaderHashJob {
        HeaderHashJob(header: header(tag, nonce: nonce, previous: previous),
                      requirement: HashRequirement(target: easyTarget, expectedHash: expected, extendsPreviousJob: extends))
    }

    private func scheduler(workers: Int = 2, rate: Int = 1_000_000, burst: Int = 1_000_000) -> HashScheduler {
        HashScheduler(configuration: HashingConfiguration(workers: workers, budgetPerSecond: rate, budgetBurst: burst))
    }

    /// Takes the next job; fails the test when there is none.
    private func take(_ scheduler: inout HashScheduler, now: UInt64 = 0, file: StaticString = #filePath, line: UInt = #line)
        -> (HashScheduler.Ticket, [UInt8])?
    {
        let (dispatch, _) = scheduler.next(now: now)
        guard case .hash(let ticket, let bytes) = dispatch else {
            XCTFail("expected a job, got \(dispatch)", file: file, line: line)
            return nil
        }
        return (ticket, bytes)
    }

    private func batch(_ jobs: [HeaderHashJob], into box: OutcomeBox, tag: Int) -> HeaderHashBatch {
        HeaderHashBatch(jobs: jobs, completion: box.completion(tag))
    }

    private func deliver(_ deliveries: [HashScheduler.Delivery]) {
        for delivery in deliveries { delivery.completion(delivery.outcome) }
    }

    func testABatchStartsWithOneJobInFlightAndWidensAsHashesVerify() throws {
        var scheduler = scheduler(workers: 2)
        let box = OutcomeBox()
        let jobs = (0..<4).map { job(UInt32($0)) }
        deliver(scheduler.submit(batch(jobs, into: box, tag: 1), from: alice, now: 0))
        let first = try XCTUnwrap(take(&scheduler))
        XCTAssertEqual(first.0.index, 0)
        XCTAssertEqual(scheduler.next(now: 0).0, .idle, "window of one until the first hash verifies")
        deliver(scheduler.finish(first.0, hash: MinedNonceHasher.hash(first.1)))
        let second = try XCTUnwrap(take(&scheduler))
        let third = try XCTUnwrap(take(&scheduler))
        XCTAssertEqual([second.0.index, third.0.index], [1, 2])
        XCTAssertEqual(scheduler.next(now: 0).0, .idle, "window of two (the worker count)")
        // Out of order: the third finishes first and waits for the second.
        deliver(scheduler.finish(third.0, hash: MinedNonceHasher.hash(third.1)))
        XCTAssertTrue(box.all.isEmpty)
        deliver(scheduler.finish(second.0, hash: MinedNonceHasher.hash(second.1)))
        let fourth = try XCTUnwrap(take(&scheduler))
        deliver(scheduler.finish(fourth.0, hash: MinedNonceHasher.hash(fourth.1)))
        let outcomes = box.all
        XCTAssertEqual(outcomes.count, 1)
        XCTAssertEqual(outcomes[0].outcome, HeaderHashOutcome(hashes: jobs.map { MinedNonceHasher.hash($0.bytes) }))
        XCTAssertEqual(scheduler.totals.hashesComputed, 4)
        XCTAssertEqual(scheduler.totals.batchesCompleted, 1)
        XCTAssertEqual(scheduler.totals.jobsQueued, 0)
    }

    func testABatchOfGarbageCostsOneHash() throws {
        var scheduler = scheduler(workers: 8)
        let box = OutcomeBox()
        let garbage = (0..<2000).map { job(UInt32($0), nonce: UInt32($0) &* 7919) }
        deliver(scheduler.submit(batch(garbage, into: box, tag: 1), from: alice, now: 0))
        let first = try XCTUnwrap(take(&scheduler))
        XCTAssertEqual(scheduler.next(now: 0).0, .idle)
        deliver(scheduler.finish(first.0, hash: MinedNonceHasher.hash(first.1)))
        XCTAssertEqual(box.all.map(\.outcome), [HeaderHashOutcome(hashes: [], failure: HashFailure(index: 0, reason: .highHash))])
        XCTAssertEqual(scheduler.next(now: 0).0, .idle)
        XCTAssertEqual(scheduler.totals.hashesComputed, 1)
        XCTAssertEqual(scheduler.totals.batchesFailed, 1)
        XCTAssertEqual(scheduler.totals.jobsQueued, 0)
    }

    func testAFailureAfterSpeculationDiscardsTheHashesBeyondIt() throws {
        var scheduler = scheduler(workers: 4)
        let box = OutcomeBox()
        let jobs = [job(0), job(1, nonce: 5), job(2), job(3)]
        deliver(scheduler.submit(batch(jobs, into: box, tag: 1), from: alice, now: 0))
        let first = try XCTUnwrap(take(&scheduler))
        deliver(scheduler.finish(first.0, hash: MinedNonceHasher.hash(first.1)))
        let second = try XCTUnwrap(take(&scheduler))
        let third = try XCTUnwrap(take(&scheduler))
        deliver(scheduler.finish(third.0, hash: MinedNonceHasher.hash(third.1)))
        deliver(scheduler.finish(second.0, hash: MinedNonceHasher.hash(second.1)))  // fails: nonce 5 is not mined
        XCTAssertEqual(box.all.map(\.outcome),
                       [HeaderHashOutcome(hashes: [MinedNonceHasher.hash(first.1)], failure: HashFailure(index: 1, reason: .highHash))])
        XCTAssertEqual(scheduler.totals.hashesComputed, 3)
        XCTAssertEqual(scheduler.totals.hashesDiscarded, 1, "the third was hashed for nothing")
    }

    func testAHeaderTakenToExtendThePreviousOneMustNameItsHash() throws {
        var scheduler = scheduler(workers: 1)
        let box = OutcomeBox()
        let first = job(0)
        let linked = job(1, previous: MinedNonceHasher.hash(first.bytes), extends: true)
        let unlinked = job(2, previous: Hash256(w0: 99, w1: 0, w2: 0, w3: 0), extends: true)
        deliver(scheduler.submit(batch([first, linked, unlinked], into: box, tag: 1), from: alice, now: 0))
        for _ in 0..<3 {
            let next = try XCTUnwrap(take(&scheduler))
            deliver(scheduler.finish(next.0, hash: MinedNonceHasher.hash(next.1)))
        }
        XCTAssertEqual(box.all.first?.outcome.failure, HashFailure(index: 2, reason: .notLinked))
        XCTAssertEqual(box.all.first?.outcome.hashes.count, 2)
    }

    func testACheckpointHashMustMatch() throws {
        var scheduler = scheduler()
        let box = OutcomeBox()
        let good = job(0, expected: MinedNonceHasher.hash(header(0).serialized))
        let bad = job(1, expected: Hash256(w0: 1, w1: 2, w2: 3, w3: 0))
        deliver(scheduler.submit(batch([good, bad], into: box, tag: 1), from: alice, now: 0))
        for _ in 0..<2 {
            let next = try XCTUnwrap(take(&scheduler))
            deliver(scheduler.finish(next.0, hash: MinedNonceHasher.hash(next.1)))
        }
        XCTAssertEqual(box.all.first?.outcome.failure, HashFailure(index: 1, reason: .checkpointMismatch))
    }

    func testSubmittersAreServedInTurn() throws {
        var scheduler = scheduler(workers: 1)
        let box = OutcomeBox()
        for (tag, submitter) in [alice, bob, carol].enumerated() {
            let jobs = (0..<3).map { job(UInt32(tag * 10 + $0)) }
            deliver(scheduler.submit(batch(jobs, into: box, tag: tag), from: submitter, now: 0))
        }
        var order = [UInt64]()
        while case .hash(let ticket, let bytes) = scheduler.next(now: 0).0 {
            order.append(ticket.submitter.rawValue)
            deliver(scheduler.finish(ticket, hash: MinedNonceHasher.hash(bytes)))
        }
        XCTAssertEqual(order, [1, 2, 3, 1, 2, 3, 1, 2, 3])
        XCTAssertEqual(Set(box.all.map(\.tag)), [0, 1, 2])
    }

    func testASubmittersBatchesRunOneAfterAnother() throws {
        var scheduler = scheduler(workers: 4)
        let box = OutcomeBox()
        deliver(scheduler.submit(batch([job(0), job(1)], into: box, tag: 1), from: alice, now: 0))
        deliver(scheduler.submit(batch([job(2)], into: box, tag: 2), from: alice, now: 0))
        var hashed = [Int]()
        while case .hash(let ticket, let bytes) = scheduler.next(now: 0).0 {
            hashed.append(Int(bytes[36]))  // the merkle root's first byte is the tag
            deliver(scheduler.finish(ticket, hash: MinedNonceHasher.hash(bytes)))
        }
        XCTAssertEqual(hashed, [0, 1, 2])
        XCTAssertEqual(box.all.map(\.tag), [1, 2])
    }

    func testASubmitterOutOfBudgetWaitsWhileOthersAreServed() throws {
        // 10 hashes per second, burst 2: one hash every 100 ms once the burst is spent.
        var scheduler = scheduler(workers: 1, rate: 10, burst: 2)
        let box = OutcomeBox()
        let millisecond: UInt64 = 1_000_000
        deliver(scheduler.submit(batch((0..<4).map { job(UInt32($0)) }, into: box, tag: 1), from: alice, now: 0))
        for _ in 0..<2 {
            let next = try XCTUnwrap(take(&scheduler))
            deliver(scheduler.finish(next.0, hash: MinedNonceHasher.hash(next.1)))
        }
        XCTAssertEqual(scheduler.next(now: 0).0, .waitUntil(100 * millisecond))
        XCTAssertEqual(scheduler.next(now: 0).0, .waitUntil(100 * millisecond))
        XCTAssertEqual(scheduler.statistics(for: alice)?.budgetWaits, 1, "one wait per job, however often asked")
        // Bob has a budget of his own.
        deliver(scheduler.submit(batch([job(9)], into: box, tag: 2), from: bob, now: 50 * millisecond))
        let bobs = try XCTUnwrap(take(&scheduler, now: 50 * millisecond))
        XCTAssertEqual(bobs.0.submitter, bob)
        deliver(scheduler.finish(bobs.0, hash: MinedNonceHasher.hash(bobs.1)))
        XCTAssertEqual(scheduler.next(now: 99 * millisecond).0, .waitUntil(100 * millisecond))
        let third = try XCTUnwrap(take(&scheduler, now: 100 * millisecond))
        XCTAssertEqual(third.0.submitter, alice)
        deliver(scheduler.finish(third.0, hash: MinedNonceHasher.hash(third.1)))
        XCTAssertEqual(scheduler.next(now: 150 * millisecond).0, .waitUntil(200 * millisecond))
        XCTAssertEqual(scheduler.statistics(for: alice)?.budgetWaits, 2)
        XCTAssertEqual(scheduler.statistics(for: alice)?.hashesComputed, 3)
    }

    func testAReplayedBatchCostsNoHash() throws {
        var scheduler = scheduler()
        let box = OutcomeBox()
        let jobs = (0..<5).map { job(UInt32($0)) }
        deliver(scheduler.submit(batch(jobs, into: box, tag: 1), from: alice, now: 0))
        while case .hash(let ticket, let bytes) = scheduler.next(now: 0).0 {
            deliver(scheduler.finish(ticket, hash: MinedNonceHasher.hash(bytes)))
        }
        XCTAssertEqual(scheduler.cache.count, 5)
        deliver(scheduler.submit(batch(jobs, into: box, tag: 2), from: bob, now: 0))
        let (dispatch, deliveries) = scheduler.next(now: 0)
        XCTAssertEqual(dispatch, .idle)
        deliver(deliveries)
        XCTAssertEqual(box.all.map(\.tag), [1, 2])
        XCTAssertEqual(box.all[1].outcome, box.all[0].outcome)
        XCTAssertEqual(scheduler.statistics(for: bob)?.hashesComputed, 0)
        XCTAssertEqual(scheduler.statistics(for: bob)?.hashesAvoided, 5)
    }

    func testOnlyVerifiedHashesAreCachedAndTheCacheIsBounded() {
        var cache = HashReplayCache(capacity: 2)
        let keys = (0..<3).map { Hash256(w0: UInt64($0), w1: 0, w2: 0, w3: 0) }
        for key in keys { cache.insert(key: key, hash: key) }
        XCTAssertEqual(cache.count, 2)
        XCTAssertNil(cache.hash(forKey: keys[0]), "the oldest goes first")
        XCTAssertEqual(cache.hash(forKey: keys[2]), keys[2])

        var scheduler = scheduler()
        let box = OutcomeBox()
        deliver(scheduler.submit(batch([job(0, nonce: 1)], into: box, tag: 1), from: alice, now: 0))
        let only = scheduler.next(now: 0).0
        guard case .hash(let ticket, let bytes) = only else { return XCTFail("no job") }
        deliver(scheduler.finish(ticket, hash: MinedNonceHasher.hash(bytes)))
        XCTAssertEqual(scheduler.cache.count, 0, "a hash that failed its requirement is not cached")
    }

    func testKnownHashesNeedNoWorker() {
        var scheduler = scheduler()
        let box = OutcomeBox()
        let known = header(0)
        let job = HeaderHashJob(header: known, knownHash: MinedNonceHasher.hash(known.serialized),
                                requirement: HashRequirement(target: easyTarget))
        deliver(scheduler.submit(batch([job], into: box, tag: 1), from: alice, now: 0))
        let (dispatch, deliveries) = scheduler.next(now: 0)
        XCTAssertEqual(dispatch, .idle)
        deliver(deliveries)
        XCTAssertEqual(box.all.first?.outcome.hashes, [MinedNonceHasher.hash(known.serialized)])
        XCTAssertEqual(scheduler.totals.hashesComputed, 0)
        // An empty batch is delivered at once.
        deliver(scheduler.submit(batch([], into: box, tag: 2), from: alice, now: 0))
        XCTAssertEqual(box.all.last?.tag, 2)
    }

    func testCancellingDeliversEveryBatchAndDiscardsHashesInFlight() throws {
        var scheduler = scheduler()
        let box = OutcomeBox()
        deliver(scheduler.submit(batch([job(0), job(1)], into: box, tag: 1), from: alice, now: 0))
        deliver(scheduler.submit(batch([job(2)], into: box, tag: 2), from: alice, now: 0))
        let inFlight = try XCTUnwrap(take(&scheduler))
        deliver(scheduler.cancel(alice))
        XCTAssertEqual(box.all.map(\.tag), [1, 2])
        XCTAssertTrue(box.all.allSatisfy { $0.outcome.cancelled })
        deliver(scheduler.finish(inFlight.0, hash: MinedNonceHasher.hash(inFlight.1)))
        XCTAssertEqual(box.all.count, 2)
        XCTAssertNil(scheduler.statistics(for: alice))
        XCTAssertEqual(scheduler.totals.hashesDiscarded, 1)
        XCTAssertEqual(scheduler.totals.batchesCancelled, 2)
        XCTAssertEqual(scheduler.totals.jobsQueued, 0)
        XCTAssertEqual(scheduler.next(now: 0).0, .idle)
    }

    func testTheBudgetAllowsItsBurstThenItsRate() {
        var budget = HashBudget(rate: 4, burst: 3, now: 1_000)
        for _ in 0..<3 {
            XCTAssertEqual(budget.nextAllowed(now: 1_000), 1_000)
            budget.spend(now: 1_000)
        }
        XCTAssertEqual(budget.nextAllowed(now: 1_000), 1_000 + 250_000_000)
        XCTAssertEqual(budget.nextAllowed(now: 1_000 + 250_000_000), 1_000 + 250_000_000)
        // Unused allowance accrues up to the burst only.
        XCTAssertEqual(budget.nextAllowed(now: 10_000_000_000), 10_000_000_000)
    }
}
