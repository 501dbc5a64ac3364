import DilithionSystem

#if canImport(Glibc)
import Glibc
#endif

/// Unix time for protocol timestamps (`version`, `addr`, block validation, bans). Regtest nodes can
/// start it at a mock time (`--mocktime`) and jump it forward (`setmocktime`); between jumps it
/// advances with real time.
public final class WallClock: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var offset: Int64  // guarded by lock

    public init(mockTime: Int64? = nil) {
        offset = mockTime.map { $0 - WallClock.realNow() } ?? 0
    }

    /// Seconds since the Unix epoch, as this node sees them.
    public var now: Int64 { WallClock.realNow() + lock.withLock { offset } }

    /// Moves the clock forward by `seconds` (zero or negative: no change).
    func advance(bySeconds seconds: Int64) {
        guard seconds > 0 else { return }
        lock.withLock { offset += seconds }
    }

    static func realNow() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}
