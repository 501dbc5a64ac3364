import DilithionTestKit
import DilithionNet
import DilithionSystem
import DilithionWire
import VectorSupport
import Foundation
import XCTest

@testable import DilithionHeaderHashing

#if canImport(Glibc)
import Glibc
#endif

/// The service with its worker threads and a counting backend: no sockets, no sleeps; every wait is
/// for an event (an outcome, a hash held at the backend's gate) on a manual clock.
final class HeaderHashingServiceTests: XCTestCase {
    private let clock = ManualClock()
    private var services: [HeaderHashingService] = []
    private let easyTarget = Hash256(w0: 0, w1: 0, w2: 0, w3: 1 << 40)

    override func tearDown() {
        for service in services { service.stop() }
        services = []
    }

    private func service(
        _ backend: CountingBackend, workers: Int = 2, preparation: HashingConfiguration.Preparation = .onFirstSubmission,
        rate: Int = 1_000_000, burst: Int = 1_000_000
    ) -> HeaderHashingService {
        let service = HeaderHashingService(
            backend: backend,
            configuration: HashingConfiguration(workers: workers, preparation: preparation, budgetPerSecond: rate, budgetBurst: burst),
            clock: clock)
        services.append(service)
        return service
    }

    private func jobs(_ count: Int, tag: UInt32, mined: Bool = true) -> [HeaderHashJob] {
        (0..<count).map { index in
            let header = BlockHeader(
                version: 1, previousBlockHash: .zero, merkleRoot: Hash256(w0: UInt64(tag), w1: UInt64(index), w2: 0, w3: 0),
                time: 1000, bits: 0x207F_FFFF, nonce: mined ? MinedNonceHasher.minedNonce : UInt32(index))
            return HeaderHashJob(header: header, requirement: HashRequirement(target: easyTarget))
        }
    }

    /// The workers lower their own priority (nice +10 by default) so that the reactor and the
    /// dispatcher win a contended core; the thread that submits keeps its own.
    func testWorkersRunAtALowerPriorityThanTheNode() throws {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let callerNice = getpriority(which, 0)
        let service = service(CountingBackend(), workers: 1)
        let box = OutcomeBox()
        service.submit(HeaderHashBatch(jobs: jobs(1, tag: 1), completion: box.completion(1)), from: HashSubmitter(1))
        _ = box.wait(for: 1)  // the one worker hashed it, so it has lowered its priority already
        let workerNice = try XCTUnwrap(Self.niceOfThread(named: "header-hash-0"), "no thread named header-hash-0")
        XCTAssertEqual(workerNice, min(19, callerNice + service.configuration.workerNiceness))
        XCTAssertEqual(getpriority(which, 0), callerNice, "the submitting thread keeps its priority")
    }

    /// The nice value (field 19 of /proc/self/task/TID/stat) of this process's thread called `name`.
    private static func niceOfThread(named name: String) -> Int32? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for tid in tasks {
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
            guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm) ": state is field 3, so nice (field 19) is the 17th field after ")".
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int32(fields[16]) : nil
        }
        return nil
    }

    func testBatchesAreHashedOnWorkersInOrderPerSubmitter() {
        let backend = CountingBackend()
        let service = service(backend)
        let box = OutcomeBox()
        let caller = pthread_self()
        let callerBox = ThreadRecorder()
        var submitted = [Int: [HeaderHashJob]]()
        for tag in 1...6 {
            let batch = jobs(5, tag: UInt32(tag))
            submitted[tag] = batch
            let submitter = HashSubmitter(UInt64(tag % 2))
            service.submit(
                HeaderHashBatch(jobs: batch) { outcome in
                    callerBox.record(pthread_self())
                    box.completion(tag)(outcome)
                }, from: submitter)
        }
        let outcomes = box.wait(for: 6)
        for (tag, outcome) in outcomes {
            XCTAssertEqual(outcome, HeaderHashOutcome(hashes: submitted[tag]!.map { MinedNonceHasher.hash($0.bytes) }))
        }
        XCTAssertEqual(outcomes.map(\.tag).filter { $0 % 2 == 1 }, [1, 3, 5], "one submitter's batches in order")
        XCTAssertEqual(outcomes.map(\.tag).filter { $0 % 2 == 0 }, [2, 4, 6])
        XCTAssertFalse(callerBox.threads.contains { pthread_equal($0, caller) != 0 }, "completions run on workers")
        XCTAssertEqual(backend.hashCount, 30)
        XCTAssertEqual(service.statistics().hashesComputed, 30)
        XCTAssertEqual(service.statistics().batchesCompleted, 6)
    }

    func testTheBackendIsPreparedOnceByEveryWorkerTogether() {
        let idle = CountingBackend()
        service(idle, workers: 3).stop()
        XCTAssertEqual(idle.preparation.shared, 0, "on first submission: nothing without a batch")

        let backend = CountingBackend()
        let service = service(backend, workers: 3)
        let box = OutcomeBox()
        service.submit(HeaderHashBatch(jobs: jobs(1, tag: 1), completion: box.completion(1)), from: HashSubmitter(1))
        _ = box.wait(for: 1)
        let preparation = backend.preparation
        XCTAssertEqual(preparation.shared, 1)
        XCTAssertEqual(preparation.shares, [0, 1, 2])
        XCTAssertEqual(preparation.finishes, 1)
        XCTAssertGreaterThanOrEqual(preparation.hashers, 1)
        XCTAssertNotNil(service.preparationDuration)

        let eager = CountingBackend()
        let started = self.service(eager, workers: 2, preparation: .atStart)
        let eagerBox = OutcomeBox()
        started.submit(HeaderHashBatch(jobs: jobs(1, tag: 2), completion: eagerBox.completion(1)), from: HashSubmitter(1))
        _ = eagerBox.wait(for: 1)
        XCTAssertEqual(eager.preparation.shares, [0, 1])
    }

    func testGarbageFromSeveralSubmittersCostsOneHashEach() {
        let backend = CountingBackend()
        let service = service(backend, workers: 2)
        let box = OutcomeBox()
        for submitter in 1...3 {
            service.submit(
                HeaderHashBatch(jobs: jobs(2000, tag: UInt32(submitter), mined: false), completion: box.completion(submitter)),
                from: HashSubmitter(UInt64(submitter)))
        }
        let outcomes = box.wait(for: 3)
        XCTAssertTrue(outcomes.allSatisfy { $0.outcome == HeaderHashOutcome(hashes: [], failure: HashFailure(index: 0, reason: .highHash)) })
        XCTAssertEqual(backend.hashCount, 3)
        XCTAssertEqual(service.statistics().hashesComputed, 3)
        XCTAssertEqual(service.statistics().jobsQueued, 0)
    }

    func testCancellingWhileAHashIsInFlightDeliversAtOnceAndDiscardsTheHash() {
        let backend = CountingBackend(gated: true)
        let service = service(backend, workers: 1)
        let box = OutcomeBox()
        let alice = HashSubmitter(1)
        service.submit(HeaderHashBatch(jobs: jobs(3, tag: 1), completion: box.completion(1)), from: alice)
        backend.waitUntilHeld(1)
        service.cancel(alice)
        XCTAssertEqual(box.all.map(\.outcome), [HeaderHashOutcome(hashes: [], cancelled: true)], "delivered by cancel itself")
        backend.openGate()
        service.stop()
        XCTAssertEqual(service.statistics().hashesDiscarded, 1)
        XCTAssertEqual(service.statistics().batchesCancelled, 1)
        XCTAssertEqual(backend.hashCount, 1)
        XCTAssertNil(service.statistics(for: alice))
    }

    func testStoppingDeliversEveryPendingBatchAsCancelled() {
        let backend = CountingBackend(gated: true)
        let service = service(backend, workers: 2)
        let box = OutcomeBox()
        service.submit(HeaderHashBatch(jobs: jobs(2, tag: 1), completion: box.completion(1)), from: HashSubmitter(1))
        service.submit(HeaderHashBatch(jobs: jobs(1, tag: 2), completion: box.completion(2)), from: HashSubmitter(2))
        service.submit(HeaderHashBatch(jobs: jobs(1, tag: 3), completion: box.completion(3)), from: HashSubmitter(2))
        backend.waitUntilHeld(2)
        // stop() joins the workers, which wait at the gate: stop on another thread, open the gate
        // once every batch was delivered.
        let stopper = NativeThread { service.stop() }
        let outcomes = box.wait(for: 3)
        XCTAssertTrue(outcomes.allSatisfy(\.outcome.cancelled))
        backend.openGate()
        stopper.join()
        service.submit(HeaderHashBatch(jobs: jobs(1, tag: 4), completion: box.completion(4)), from: HashSubmitter(1))
        XCTAssertEqual(box.all.last?.tag, 4)
        XCTAssertEqual(box.all.last?.outcome.cancelled, true, "after stop: cancelled at once")
        XCTAssertEqual(service.statistics().hashesDiscarded, 2)
    }

    /// One hash per second, burst one: the second hash waits for the clock, and moving the manual
    /// clock wakes the worker.
    func testMovingTheManualClockReleasesABudgetWait() {
        let backend = CountingBackend()
        let service = service(backend, workers: 1, rate: 1, burst: 1)
        let box = OutcomeBox()
        service.submit(HeaderHashBatch(jobs: jobs(2, tag: 1), completion: box.completion(1)), from: HashSubmitter(1))
        backend.waitForHashes(1)
        clock.advance(by: .seconds(1))
        XCTAssertEqual(box.wait(for: 1).first?.outcome.hashes.count, 2)
    }
}
