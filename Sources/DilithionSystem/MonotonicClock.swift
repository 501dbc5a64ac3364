#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's one reading of `CLOCK_MONOTONIC` (never jumps with wall-clock changes): the
/// engine's system clock, the shutdown latch, the test kit's bounded waits and the benchmarks all
/// take time from here. Wall-clock time (timestamps in
/// messages and logs) is a different clock and does not come from here.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary start (boot on Linux).
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Seconds since an arbitrary start.
    public static func now() -> Double {
        Double(nanoseconds()) / 1e9
    }

    /// The nanosecond reading `seconds` from now, for ``ConditionVariable/wait(_:untilMonotonicNanoseconds:)``.
    public static func nanoseconds(afterSeconds seconds: Double) -> UInt64 {
        nanoseconds() &+ UInt64(max(0, seconds) * 1e9)
    }

    /// Sleeps `duration` (nothing for zero or negative), resuming after signals. For pacing that
    /// is the point of a tool (a fake peer's byte-by-byte sender), never to wait for another thread.
    public static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// `duration` in seconds.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
