#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable pthread running one closure: the reactor and the dispatcher each run on one.
public final class NativeThread: @unchecked Sendable {
    // Written once in `init` before the thread can observe `self`; joined once under `joinLock`.
    private var handle: pthread_t
    private let joinLock = PThreadMutex()
    private var isJoined = false  // guarded by joinLock

    /// Starts a thread running `body`.
    public init(_ body: @escaping @Sendable () -> Void) {
        // Retained here, released by `nativeThreadEntry` (Trampolines.swift) when the thread starts.
        let box = Unmanaged.passRetained(NativeThreadBody(body)).toOpaque()
        #if os(Linux)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(&thread, nil, nativeThreadEntry, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        #if os(Linux)
        handle = thread
        #else
        handle = thread!
        #endif
    }

    /// Whether the calling thread is this thread.
    public var isCurrent: Bool {
        pthread_equal(pthread_self(), handle) != 0
    }

    /// Waits for the thread to finish. Safe to call more than once, from any other thread.
    public func join() {
        precondition(!isCurrent, "a thread cannot join itself")
        joinLock.withLock {
            guard !isJoined else { return }
            let result = pthread_join(handle, nil)
            precondition(result == 0, "pthread_join failed: \(result)")
            isJoined = true
        }
    }
}
