#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide settings the engine needs before it opens sockets.
public enum ProcessLimits {
    #if os(Linux)
    private static let fileLimit = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let fileLimit = RLIMIT_NOFILE
    #endif

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (a node wants thousands of peers) and returns
    /// the new soft limit.
    @discardableResult
    public static func raiseFileDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(fileLimit, &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(fileLimit, &limit)
            _ = getrlimit(fileLimit, &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Sets the soft `RLIMIT_NOFILE` (tests use it to provoke `EMFILE`). Returns false on failure.
    @discardableResult
    public static func setFileDescriptorSoftLimit(_ softLimit: Int) -> Bool {
        var limit = rlimit()
        guard getrlimit(fileLimit, &limit) == 0 else { return false }
        limit.rlim_cur = rlim_t(softLimit)
        return setrlimit(fileLimit, &limit) == 0
    }

    /// The current soft `RLIMIT_NOFILE`.
    public static var fileDescriptorSoftLimit: Int {
        var limit = rlimit()
        guard getrlimit(fileLimit, &limit) == 0 else { return -1 }
        return Int(clamping: limit.rlim_cur)
    }

    /// Makes `SIGPIPE` harmless for the whole process. Writes already use `MSG_NOSIGNAL`; this also
    /// covers any other library in the process writing to a closed socket or pipe.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
