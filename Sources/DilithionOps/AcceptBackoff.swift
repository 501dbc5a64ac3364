/// What the HTTP I/O thread does when accepting fails for want of resources (`EMFILE`/`ENFILE`,
/// `ENOBUFS`/`ENOMEM`): the connection stays in the listen backlog while the listeners rest
/// briefly, since a readable listener that cannot be accepted would otherwise spin the loop; and the
/// failure is logged at most once per interval (a descriptor storm would otherwise write a line per
/// attempt; the counter sees every one). I/O thread only (the owning ``HTTPIOLoop``'s).
struct AcceptBackoff {
    /// How long the listeners rest after a failure.
    static let pauseSeconds = 0.1
    /// Fewest seconds between two logged failures.
    static let logIntervalSeconds = 10.0

    /// Until when (monotonic seconds) the listeners rest.
    private(set) var pausedUntil = 0.0
    private var lastLogged = -Double.infinity

    /// Whether the listeners may be polled at monotonic time `now`.
    func isOpen(at now: Double) -> Bool { now >= pausedUntil }

    /// Rests the listeners after a failure at `now`; returns whether to log this one.
    mutating func recordFailure(at now: Double) -> Bool {
        pausedUntil = now + Self.pauseSeconds
        guard now - lastLogged >= Self.logIntervalSeconds else { return false }
        lastLogged = now
        return true
    }
}
