import DilithionSystem

/// Decides when an `accept` failure is worth a log line: the first one, then at most one line per
/// `interval` of engine time, each line carrying how many failures it stands for. A connection
/// storm at the descriptor limit fails `accept` every back-off (ten times a second by default);
/// without a limit the log would drown, without a line the operator would never know.
/// Reactor thread only (the failures are reported there).
struct AcceptFailureLog {
    let interval: Duration
    private var lastLine: EngineInstant?
    private var unreported = 0

    init(interval: Duration) {
        self.interval = interval
    }

    /// Records one failure at `now`. Returns the number of failures the line written now should
    /// report (this one and those held back since the last line), or nil when no line is due.
    mutating func record(at now: EngineInstant) -> Int? {
        unreported += 1
        if let lastLine, now < lastLine.advanced(by: interval) { return nil }
        lastLine = now
        defer { unreported = 0 }
        return unreported
    }
}
