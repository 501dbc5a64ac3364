import DilithionSystem

/// An ordered log of handler calls.
final class EventLog: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var items: [String] = []
    func append(_ entry: String) { lock.withLock { items.append(entry) } }
    var entries: [String] { lock.withLock { items } }
}
