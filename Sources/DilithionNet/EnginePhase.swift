/// The engine's lifecycle: `idle → running → draining → closing → stopped` (`interrupt()` goes from
/// `running` straight to `closing`; `stop()` on an idle engine goes straight to `stopped`).
public enum EnginePhase: String, Sendable, Hashable {
    /// Created, threads not started.
    case idle
    /// Accepting, reading, dispatching.
    case running
    /// Not accepting or reading; the dispatcher finishes the queued messages.
    case draining
    /// Every connection is being closed with reason `shutdown`.
    case closing
    /// Both threads joined; nothing left open.
    case stopped
}
