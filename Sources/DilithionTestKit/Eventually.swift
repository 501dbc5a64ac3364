import DilithionSystem

/// Waits until `condition` holds, re-checking it every `interval` (a millisecond unless the check is
/// costly, like a connection attempt), for at most `timeout` seconds of monotonic time; returns
/// whether it held. For conditions that nothing signals (statistics of
/// another thread, a child process): the test asserts the condition, never how long it took, and
/// the bound only turns a hang into a failure.
public func eventually(timeout: Double = 30, interval: Duration = .milliseconds(1), _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicClock.now() + timeout
    while MonotonicClock.now() < deadline {
        if condition() { return true }
        MonotonicClock.sleep(interval)
    }
    return condition()
}
