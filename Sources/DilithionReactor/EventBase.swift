import CLibevent

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns the libevent `event_base` (reactor thread only).
final class EventBase {
    /// Process-wide libevent set-up, run exactly once (a `static let` is initialised thread-safely)
    /// before the first base exists:
    /// - `event_enable_debug_mode()` when `DILITHION_LIBEVENT_DEBUG=1` is in the environment (the test
    ///   scripts set it): libevent then checks every event operation and aborts on misuse, such as
    ///   adding an event that was never assigned or freeing one twice. It must precede any other
    ///   libevent call.
    /// - `evthread_use_pthreads()`, so that `event_active` from other threads wakes the loop.
    private static let globalSetup: (threading: Bool, debugMode: Bool) = {
        let debug = getenv("DILITHION_LIBEVENT_DEBUG").map { String(cString: $0) == "1" } ?? false
        if debug { event_enable_debug_mode() }
        return (evthread_use_pthreads() == 0, debug)
    }()

    /// Whether libevent's debug mode is on in this process (see ``globalSetup``).
    static var isDebugModeOn: Bool { globalSetup.debugMode }

    let base: OpaquePointer

    init() throws(ReactorError) {
        guard Self.globalSetup.threading, let config = event_config_new() else { throw .eventBaseUnavailable }
        defer { event_config_free(config) }
        // select() caps descriptors at FD_SETSIZE (1024); never fall back to it.
        _ = event_config_avoid_method(config, "select")
        guard let created = event_base_new_with_config(config) else { throw .eventBaseUnavailable }
        base = created
    }

    deinit {
        event_base_free(base)
    }

    /// The backend libevent chose: `epoll` on Linux, `poll` when `EVENT_NOEPOLL` is set in the
    /// environment (libevent reads it; the test scripts run the engine tests in both), never `select`.
    var methodName: String {
        String(cString: event_base_get_method(base))
    }

    /// Runs until `breakLoop()`; `EVLOOP_NO_EXIT_ON_EMPTY` keeps it alive with no events registered.
    func run() {
        _ = event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
    }

    /// Makes `run()` return after the current callback.
    func breakLoop() {
        _ = event_base_loopbreak(base)
    }
}
