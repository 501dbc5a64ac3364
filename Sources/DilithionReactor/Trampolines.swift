import CLibevent
import DilithionSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every libevent-to-Swift entry point, in one place. (The thread entry lives beside `NativeThread`
// in DilithionSystem, with its own retain/release pair.)
//
// Each C callback receives an `Unmanaged` context pointer. The matching retain/release pair is:
// - `ReactorEvent`: retained by `ReactorEvent.init` (`passRetained`), released by `ReactorEvent.free()`
//   right after `event_free`, so libevent can never call back into a freed object.

/// libevent callback for every event the reactor creates.
let reactorEventTrampoline: event_callback_fn = { _, flags, context in
    // Unretained: the event's own retain (see above) keeps it alive; the local strong reference
    // keeps it alive until the end of this call even if the handler frees the event.
    let event = Unmanaged<ReactorEvent>.fromOpaque(context!).takeUnretainedValue()
    event.fire(flags: flags)
}
