#if canImport(Glibc)
import Glibc
#endif

/// Unix time for protocol timestamps (`version`, `addr`, block validation). Regtest nodes can start
/// it at a mock time (`--mocktime`), after which it advances with real time.
public struct WallClock: Sendable {
    let offset: Int64

    public init(mockTime: Int64? = nil) {
        offset = mockTime.map { $0 - WallClock.realNow() } ?? 0
    }

    public var now: Int64 { WallClock.realNow() + offset }

    static func realNow() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}
