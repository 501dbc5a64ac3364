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

    /// Starts a thread running `body`. `name` (at most 15 bytes are kept, the kernel's limit) shows
    /// in `top -H`, debuggers and `/proc/<pid>/task/<tid>/comm`.
    public init(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        // Retained here, released by `nativeThreadEntry` (Trampolines.swift) when the thread starts.
        var run = body
        if let name {
            run = {
                Self.nameCurrentThread(name)
                body()
            }
        }
        let box = Unmanaged.passRetained(NativeThreadBody(run)).toOpaque()
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

    /// Names the calling thread. Through `/proc/thread-self/comm` because `pthread_setname_np` is a
    /// GNU extension the Glibc module does not import; a failure leaves the thread unnamed.
    private static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
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
