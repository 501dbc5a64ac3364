/// Messages and bytes (wire size, header included) for one command in one direction.
public struct CommandStatistics: Sendable, Hashable {
    /// Number of messages.
    public var messages: Int = 0
    /// Wire bytes of those messages.
    public var bytes: Int = 0

    /// Zero messages, zero bytes.
    public init() {}

    mutating func add(messages: Int, bytes: Int) {
        self.messages += messages
        self.bytes += bytes
    }
}
