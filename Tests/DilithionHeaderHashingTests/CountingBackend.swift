import DilithionHeaderHashing
import DilithionSystem
import DilithionWire
import VectorSupport
import XCTest

/// A backend that counts everything: preparation steps, hashers made, hashes computed; with an
/// optional gate that holds every hash until the test opens it.
final class CountingBackend: HeaderHashBackend, @unchecked Sendable {
    private let lock = PThreadMutex()
    private let changed = ConditionVariable()
    private var sharedPreparations = 0  // guarded by lock
    private var shares: [Int] = []  // guarded by lock
    private var finishes = 0  // guarded by lock
    private var hashers = 0  // guarded by lock
    private var hashes: [[UInt8]] = []  // guarded by lock
    private var gateOpen: Bool  // guarded by lock
    private var waitingAtGate = 0  // guarded by lock

    init(gated: Bool = false) { gateOpen = !gated }

    func prepareShared() { lock.withLock { sharedPreparations += 1 } }
    func prepare(share: Int, of shares: Int) { lock.withLock { self.shares.append(share) } }
    func finishPreparation() { lock.withLock { finishes += 1 } }
    func makeWorkerHasher() -> any WorkerHeaderHasher {
        lock.withLock { hashers += 1 }
        return Hasher(backend: self)
    }

    var hashCount: Int { lock.withLock { hashes.count } }
    var hashedBytes: [[UInt8]] { lock.withLock { hashes } }
    var preparation: (shared: Int, shares: [Int], finishes: Int, hashers: Int) {
        lock.withLock { (sharedPreparations, shares.sorted(), finishes, hashers) }
    }

    /// Lets every held and future hash through.
    func openGate() {
        lock.withLock {
            gateOpen = true
            changed.broadcast()
        }
    }

    /// Blocks until `count` hashes are held at the closed gate (a minute at most: a hang guard).
    func waitUntilHeld(_ count: Int, file: StaticString = #filePath, line: UInt = #line) {
        wait(file: file, line: line) { $0.waitingAtGate >= count }
    }

    /// Blocks until `count` hashes were computed (a minute at most: a hang guard).
    func waitForHashes(_ count: Int, file: StaticString = #filePath, line: UInt = #line) {
        wait(file: file, line: line) { $0.hashes.count >= count }
    }

    private func wait(file: StaticString, line: UInt, until condition: (CountingBackend) -> Bool) {
        let deadline = MonotonicClock.nanoseconds() + 60_000_000_000
        lock.withLock {
            while !condition(self), MonotonicClock.nanoseconds() < deadline {
                changed.wait(lock, untilMonotonicNanoseconds: deadline)
            }
            if !condition(self) { XCTFail("the backend never got there", file: file, line: line) }
        }
    }

    fileprivate func record(_ bytes: [UInt8]) -> Hash256 {
        lock.withLock {
            waitingAtGate += 1
            changed.broadcast()
            while !gateOpen { changed.wait(lock) }
            waitingAtGate -= 1
            hashes.append(bytes)
            changed.broadcast()
        }
        return MinedNonceHasher.hash(bytes)
    }

    private final class Hasher: WorkerHeaderHasher {
        let backend: CountingBackend
        init(backend: CountingBackend) { self.backend = backend }
        func hash(_ bytes: [UInt8]) -> Hash256 { backend.record(bytes) }
    }
}
