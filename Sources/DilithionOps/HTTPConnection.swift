/// One client connection of an ``HTTPServer``. I/O thread only: the server's I/O thread creates,
/// reads, writes, times out and closes it; handler threads see only the request it produced.
///
/// Phases (one request at a time; pipelined bytes wait in the parser):
///
///     awaitingRequest ──complete request──▶ handling ──response──▶ responding
///            ▲                                                          │
///            └──────────────── keep-alive, response sent ◀──────────────┘
///     any phase ──error, timeout, eviction, peer gone──▶ closed
final class HTTPConnection {
    enum Phase {
        /// Reading a request (idle when nothing is buffered).
        case awaitingRequest
        /// A handler thread is answering the request.
        case handling
        /// Sending `bytes` from `offset`; close afterwards when `closeAfter`.
        case responding(bytes: [UInt8], offset: Int, closeAfter: Bool)
    }

    let id: Int
    let fd: Int32
    /// The client's numeric address (the per-address limits' key).
    let address: String
    var parser: HTTPRequestParser
    var phase: Phase = .awaitingRequest
    /// When the current phase began (monotonic seconds): accept, or the end of the last response.
    /// The header and request deadlines count from here while awaiting a request; the send
    /// deadline from the start of responding.
    var phaseStart: Double
    /// Requests answered so far.
    var served = 0
    /// Whether the request being handled asked for keep-alive.
    var requestWantsKeepAlive = false

    init(id: Int, fd: Int32, address: String, parser: HTTPRequestParser, now: Double) {
        self.id = id
        self.fd = fd
        self.address = address
        self.parser = parser
        self.phaseStart = now
    }

    /// Waiting for a request with nothing of it received yet.
    var isIdle: Bool {
        if case .awaitingRequest = phase { return parser.bufferedByteCount == 0 }
        return false
    }

    /// Reading a request (idle or part-way): the connections eviction may close.
    var isAwaitingRequest: Bool {
        if case .awaitingRequest = phase { return true }
        return false
    }

    /// The moment this connection's current deadline passes under `configuration`, nil while a
    /// handler has it.
    func deadline(_ configuration: HTTPServerConfiguration) -> Double? {
        switch phase {
        case .awaitingRequest:
            return phaseStart + (parser.isReadingBody ? configuration.requestTimeoutSeconds : configuration.headerTimeoutSeconds)
        case .handling:
            return nil
        case .responding:
            return phaseStart + configuration.sendTimeoutSeconds
        }
    }
}
