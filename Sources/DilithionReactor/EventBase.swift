import CLibevent

/// Owns the libevent `event_base` (reactor thread only).
final class EventBase {
    /// `evthread_use_pthreads()` must run before any base exists so that `event_active` from other
    /// threads wakes the loop; a `static let` runs it exactly once, thread-safely.
    private static let threadingEnabled: Bool = evthread_use_pthreads() == 0

    let base: OpaquePointer

    init() throws(ReactorError) {
        guard Self.threadingEnabled, let config = event_config_new() else { throw .eventBaseUnavailable }
        defer { event_config_free(config) }
        // select() caps descriptors at FD_SETSIZE (1024); never fall back to it.
        _ = event_config_avoid_method(config, "select")
        guard let created = event_base_new_with_config(config) else { throw .eventBaseUnavailable }
        base = created
    }

    deinit {
        event_base_free(base)
    }

    /// The backend libevent chose (`epoll` on Linux; never `select`).
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
