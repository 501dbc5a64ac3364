#if canImport(Glibc)
import Glibc
#endif

/// One client connection of an ``HTTPServer``. I/O thread only: the server's I/O thread creates,
/// reads, writes, times out and closes it; handler threads see only the request it produced.
///
/// Phases (one request at a time; pipelined bytes wait in the parser):
///
///     awaitingRequest ──complete request──▶ handling ──response──▶ responding
///            ▲                                                          │
///            └──────────────── keep-alive, response sent ◀──────────────┤
///                                                  last response sent ──▶ lingering ──EOF──▶ closed
///     any phase ──error, timeout, eviction, peer gone──▶ closed
///
/// `lingering` is the lingering close: after the last response the write side is shut and what the
/// client still sends is read and dropped until it closes, so that closing never resets a
/// connection whose client is still sending (a reset can destroy the response, e.g. a 413 sent
/// while the oversized body is still arriving).
final class HTTPConnection {
    /// How long a lingering close waits for the client to close.
    static let lingerSeconds = 2.0
    /// Most bytes a lingering close reads and drops before giving up on the client.
    static let lingerMaxBytes = 1 << 20

    enum Phase {
        /// Reading a request (idle when nothing is buffered).
        case awaitingRequest
        /// A handler thread is answering the request.
        case handling
        /// Sending `bytes` from `offset`; close afterwards when `closeAfter`.
        case responding(bytes: [UInt8], offset: Int, closeAfter: Bool)
        /// Last response sent, write side shut: dropping input until the client closes.
        case lingering(dropped: Int)
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

    /// Reading a request (idle or part-way): a connection eviction may close.
    var isAwaitingRequest: Bool {
        if case .awaitingRequest = phase { return true }
        return false
    }

    /// Done, waiting for the client to close: the first connection eviction closes.
    var isLingering: Bool {
        if case .lingering = phase { return true }
        return false
    }

    /// What the I/O thread polls this connection for: input while reading a request or lingering,
    /// room to send while responding, nothing while a handler has it.
    var pollEvents: Int16? {
        switch phase {
        case .awaitingRequest, .lingering: return Int16(POLLIN)
        case .responding: return Int16(POLLOUT)
        case .handling: return nil
        }
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
        case .lingering:
            return phaseStart + Self.lingerSeconds
        }
    }
}
