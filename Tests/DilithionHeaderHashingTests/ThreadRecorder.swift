import DilithionSystem

#if canImport(Glibc)
import Glibc
#endif

/// Threads seen by completions.
final class ThreadRecorder: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var seen: [pthread_t] = []  // guarded by lock

    func record(_ thread: pthread_t) { lock.withLock { seen.append(thread) } }
    var threads: [pthread_t] { lock.withLock { seen } }
}
