#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The closure a ``NativeThread`` runs, boxed so that it can cross `pthread_create` as one pointer.
///
/// Retain/release pair: `NativeThread.init` retains the box (`passRetained`); ``nativeThreadEntry``
/// releases it (`takeRetainedValue`) as the thread starts.
final class NativeThreadBody {
    let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }
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
