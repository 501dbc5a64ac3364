import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every C-to-Swift entry point of the engine, in one place.
//
// Each C callback receives an `Unmanaged` context pointer. The matching retain/release pairs are:
// - `ReactorEvent`: retained by `ReactorEvent.init` (`passRetained`), released by `ReactorEvent.free()`
//   right after `event_free`, so libevent can never call back into a freed object.
// - `NativeThreadBody`: retained by `NativeThread.init`, released here by `takeRetainedValue()`.

/// libevent callback for every event the reactor creates.
let reactorEventTrampoline: event_callback_fn = { _, flags, context in
    // Unretained: the event's own retain (see above) keeps it alive; the local strong reference
    // keeps it alive until the end of this call even if the handler frees the event.
    let event = Unmanaged<ReactorEvent>.fromOpaque(context!).takeUnretainedValue()
    event.fire(flags: flags)
}

#if os(Linux)
/// `pthread_create` entry for ``NativeThread``.
let nativeThreadEntry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { context in
    let body = Unmanaged<NativeThreadBody>.fromOpaque(context!).takeRetainedValue()
    body.body()
    return nil
}
#else
/// `pthread_create` entry for ``NativeThread``.
let nativeThreadEntry: @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? = { context in
    let body = Unmanaged<NativeThreadBody>.fromOpaque(context).takeRetainedValue()
    body.body()
    return nil
}
#endif
