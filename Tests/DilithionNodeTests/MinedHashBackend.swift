import DilithionHeaderHashing
import DilithionSystem
import DilithionWire
import Foundation
import VectorSupport

/// A hashing backend for the legacy header path without RandomX: ``MinedNonceHasher`` hashes, the
/// threads they ran on, and an optional gate that holds every hash until the test opens it.
final class MinedHashBackend: HeaderHashBackend, @unchecked Sendable {
    private let lock = PThreadMutex()
    private let changed = ConditionVariable()
    private var hashingThreads: Set<UInt> = []  // guarded by lock
    private var gateOpen: Bool  // guarded by lock
    private var held = 0  // guarded by lock

    init(gated: Bool = false) { gateOpen = !gated }

    func prepareShared() {}
    func prepare(share: Int, of shares: Int) {}
    func finishPreparation() {}
    func makeWorkerHasher() -> any WorkerHeaderHasher { Hasher(backend: self) }

    /// The threads (pthread ids) that computed a hash so far.
    var threads: Set<UInt> { lock.withLock { hashingThreads } }

    func openGate() {
        lock.withLock {
            gateOpen = true
            changed.broadcast()
        }
    }

    /// Blocks until `count` hashes wait at the closed gate (a minute at most: a hang guard); returns
    /// whether they did.
    func waitUntilHeld(_ count: Int) -> Bool {
        let deadline = MonotonicClock.nanoseconds() + 60_000_000_000
        return lock.withLock {
            while held < count, MonotonicClock.nanoseconds() < deadline { changed.wait(lock, untilMonotonicNanoseconds: deadline) }
            return held >= count
        }
    }

    /// The calling thread's pthread id.
    static var currentThread: UInt { UInt(pthread_self()) }

    fileprivate func hash(_ bytes: [UInt8]) -> Hash256 {
        lock.withLock {
            hashingThreads.insert(Self.currentThread)
            held += 1
            changed.broadcast()
            while !gateOpen { changed.wait(lock) }
            held -= 1
        }
        return MinedNonceHasher.hash(bytes)
    }

    private final class Hasher: WorkerHeaderHasher {
        let backend: MinedHashBackend
        init(backend: MinedHashBackend) { self.backend = backend }
        func hash(_ bytes: [UInt8]) -> Hash256 { backend.hash(bytes) }
    }
}
