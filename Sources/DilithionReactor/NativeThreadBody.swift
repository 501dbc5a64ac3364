/// The closure a ``NativeThread`` runs, boxed so that it can cross `pthread_create` as one pointer.
final class NativeThreadBody {
    let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }
}
