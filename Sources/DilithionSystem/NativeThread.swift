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

    /// Lowers the calling thread's scheduling priority: its nice value goes up by `niceness`
    /// (at most to 19). Linux keeps a nice value per thread, and `setpriority(PRIO_PROCESS, 0, …)`
    /// changes only the caller's, so CPU-bound workers (RandomX header hashing) give way on a
    /// contended core to the threads that answer peers. Returns the new nice value, or nil if the
    /// kernel refused (the thread then keeps its priority).
    @discardableResult
    public static func lowerCurrentThreadPriority(by niceness: Int32) -> Int32? {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        #else
        let which = PRIO_PROCESS
        #endif
        errno = 0
        let current = getpriority(which, 0)
        guard errno == 0 else { return nil }
        let target = min(19, current + max(0, niceness))
        guard setpriority(which, 0, target) == 0 else { return nil }
        return target
    }

    /// Names the calling thread; a failure leaves it unnamed. The thread names itself so that glibc
    /// takes the `prctl(PR_SET_NAME)` path: naming another thread, or writing
    /// `/proc/thread-self/comm`, opens a descriptor for a moment, which made the tests that count
    /// this process's descriptors see one too many now and then.
    private static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        guard let setName = setThreadName else { return }
        _ = String(decoding: name.utf8.prefix(15), as: UTF8.self).withCString { setName(pthread_self(), $0) }
        #endif
    }

    #if os(Linux)
    /// `pthread_setname_np`, a GNU extension the Glibc module does not import: looked up once in the
    /// C library at run time (nil if absent, and threads stay unnamed).
    private static let setThreadName: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(nil, "pthread_setname_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
    }()
    #endif

    /// Whether the calling thread is this thread.
    public var isCurrent: Bool {
        pthread_equal(pthread_self(), handle) != 0
    }

    /// Lets the thread's resources go when it finishes, without a join: for a thread that ends
    /// itself from its own body (its owner released on it), which cannot join itself. After this,
    /// ``join()`` returns at once. Safe to call more than once.
    public func detach() {
        joinLock.withLock {
            guard !isJoined else { return }
            let result = pthread_detach(handle)
            precondition(result == 0, "pthread_detach failed: \(result)")
            isJoined = true
        }
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
