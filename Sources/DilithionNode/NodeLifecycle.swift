/// Where a ``Node`` is in its life. It only moves forward:
/// created → starting → running → stopping → stopped; a node that never ran may go from created
/// (or from starting, when starting failed) straight to stopping. Any other move is refused.
public enum NodeLifecycle: String, Sendable {
    case created, starting, running, stopping, stopped

    /// Whether the node may move from this state to `next`.
    public func allows(_ next: NodeLifecycle) -> Bool {
        switch (self, next) {
        case (.created, .starting), (.starting, .running), (.running, .stopping), (.stopping, .stopped),
             (.created, .stopping), (.starting, .stopping):
            return true
        default:
            return false
        }
    }
}

/// A lifecycle move the node refused (``Node/start()`` twice, or after ``Node/stop()``).
public struct NodeLifecycleError: Error, Sendable, CustomStringConvertible {
    public let from: NodeLifecycle
    public let to: NodeLifecycle

    public var description: String { "node cannot go from \(from.rawValue) to \(to.rawValue)" }
}
