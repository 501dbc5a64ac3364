import CLibevent

/// Owns exactly one libevent `struct event` (created by `event_new`, freed by `event_free`).
///
/// Reactor thread only, except ``activate()`` which libevent allows from any thread once
/// `evthread_use_pthreads()` was called before the base was created.
final class ReactorEvent: @unchecked Sendable {
    // reactor thread only (nil once freed)
    private var event: OpaquePointer?
    // reactor thread only; strong until `free()` breaks the cycle with the owner
    private var handler: ReactorEventHandler?
    // reactor thread only
    private(set) var isAdded = false

    /// Creates an event on `base` whose callbacks go to `handler`. `fd` is -1 for timers and
    /// user-triggered events. Owners that create their events before they are fully initialized pass
    /// nil and ``attach(_:)`` themselves afterwards.
    init(base: EventBase, fd: Int32, flags: Int16, handler: ReactorEventHandler? = nil) throws(ReactorError) {
        self.handler = handler
        // The one retain of this object on behalf of libevent; released in `free()`.
        let context = Unmanaged.passRetained(self).toOpaque()
        guard let created = event_new(base.base, fd, flags, reactorEventTrampoline, context) else {
            Unmanaged<ReactorEvent>.fromOpaque(context).release()
            self.handler = nil
            throw .eventSetupFailed("event_new(fd: \(fd), flags: \(flags))")
        }
        event = created
    }

    deinit {
        precondition(event == nil, "ReactorEvent released without free(): libevent still holds its pointer")
    }

    /// Routes the callbacks to `handler` (the owner of this event).
    func attach(_ handler: ReactorEventHandler) {
        self.handler = handler
    }

    /// Starts watching (`event_add`), with an optional timeout in microseconds.
    func add(timeoutMicroseconds: Int? = nil) {
        guard let event else { return }
        let result: Int32
        if let timeoutMicroseconds {
            var timeout = timeval(tv_sec: timeoutMicroseconds / 1_000_000, tv_usec: timeoutMicroseconds % 1_000_000)
            result = event_add(event, &timeout)
        } else {
            result = event_add(event, nil)
        }
        precondition(result == 0, "event_add failed")
        isAdded = true
    }

    /// Stops watching (`event_del`); the event can be added again.
    func remove() {
        guard let event, isAdded else { return }
        event_del(event)
        isAdded = false
    }

    /// Makes the event run once on the next loop iteration (`event_active`). Thread-safe.
    func activate() {
        guard let event else { return }
        event_active(event, 0, 0)
    }

    /// Frees the libevent event and drops the retain held for libevent. Idempotent.
    func free() {
        guard let event else { return }
        event_free(event)
        self.event = nil
        isAdded = false
        handler = nil
        Unmanaged.passUnretained(self).release()
    }

    /// Called by the trampoline.
    func fire(flags: Int16) {
        handler?.eventFired(self, flags: flags)
    }
}
