/// Counters of one ``HTTPServer`` since it started, for `/metrics`: what it served and every reason
/// it closed or refused a connection.
public struct HTTPServerStatistics: Sendable, Equatable {
    /// Connections open now.
    public var openConnections = 0
    /// Connections accepted.
    public var accepted = 0
    /// Requests answered by the handler.
    public var requests = 0
    /// Refusals and closes by reason: `full` (503: every slot has a request being answered),
    /// `per-address` (503: the client's address holds its maximum), `evicted` (an idle or slow
    /// connection closed to make room), `idle-timeout` (nothing sent within the header deadline),
    /// `header-timeout` (408: headers incomplete at the deadline), `request-timeout` (408: body
    /// incomplete), `send-timeout`, `rate-limited` (429), `malformed` (400/413/431/501/505),
    /// `accept-error` (e.g. out of descriptors).
    public var closes: [String: Int] = Dictionary(uniqueKeysWithValues: HTTPServerStatistics.reasons.map { ($0, 0) })

    /// Every close reason, so that each is exported from the start.
    public static let reasons = [
        "full", "per-address", "evicted", "idle-timeout", "header-timeout", "request-timeout", "send-timeout",
        "rate-limited", "malformed", "accept-error",
    ]

    /// Zeroed counters.
    public init() {}
}
