/// Limits of the small HTTP/1.1 server behind JSON-RPC, `/metrics` and the public attestation
/// endpoint. Every limit is here, each with the reason for its value. The defaults suit the admin
/// RPC on loopback; ``publicAttestation`` is the profile for a port the internet reaches.
public struct HTTPServerConfiguration: Sendable {
    /// Request line plus headers. 16 KiB: curl and `dilithion-cli` send a few hundred bytes;
    /// Bitcoin Core's libevent server allows 8 KiB of headers.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Request body. 1 MiB: the largest RPC request (a batch of calls) is a few KiB.
    public var maxBodyBytes: Int = 1 << 20
    /// Connections held at once. An idle or half-sent connection costs a descriptor and its
    /// buffered bytes, not a thread; when all are taken, the one that has waited longest for its
    /// request is closed to make room, and only when every connection has a request being answered
    /// is a newcomer refused with 503. 64 × (16 KiB + 1 MiB) bounds the buffered bytes.
    public var maxConnections: Int = 64
    /// Connections one client address may hold; nil = no per-address limit (loopback admin RPC,
    /// where every client is 127.0.0.1).
    public var maxConnectionsPerAddress: Int?
    /// A connection must deliver a complete request line and headers within this many seconds of
    /// connecting (or of its previous response, on keep-alive); otherwise it is closed (408 when it
    /// had sent part of a request). Short, so that idle connections cannot hold slots: an honest
    /// client sends its headers in one packet.
    public var headerTimeoutSeconds: Double = 10
    /// A whole request, body included, must arrive within this many seconds of the same start
    /// (Core's `rpcservertimeout` is 30 s).
    public var requestTimeoutSeconds: Double = 30
    /// A response that the client does not read within this is abandoned.
    public var sendTimeoutSeconds: Double = 30
    /// Requests served on one keep-alive connection before it is closed.
    public var maxRequestsPerConnection: Int = 1000
    /// Requests one client address may make per minute (a token bucket refilled at this rate);
    /// nil = unlimited. Over the limit a request gets 429 and its connection is closed.
    public var requestsPerAddressPerMinute: Int?
    /// Requests one address may make in a burst before the per-minute rate applies.
    public var requestBurstPerAddress: Int = 10
    /// Threads that run request handlers. Reading and writing happen on the server's one I/O
    /// thread; handlers (RPC methods, signing) run here, so a slow one delays no other client's I/O.
    public var handlerThreads: Int = 4

    /// The defaults above.
    public init() {}

    /// The public `getmikattestation` listener: requests are a few KiB, callers are miners that
    /// register once and re-attest on restarts, and anyone may connect.
    public static var publicAttestation: HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        // A call is ~4.1 KB of JSON (a 3,904-digit key and a 64-digit hash); headers a few hundred bytes.
        configuration.maxHeaderBytes = 8 * 1024
        configuration.maxBodyBytes = 16 * 1024
        // 256 slots, at most 4 per address: one address cannot take the port, and 256 × 24 KiB
        // bounds the buffered bytes.
        configuration.maxConnections = 256
        configuration.maxConnectionsPerAddress = 4
        configuration.headerTimeoutSeconds = 5
        configuration.requestTimeoutSeconds = 10
        configuration.sendTimeoutSeconds = 10
        // A miner calls each seed once per registration or restart; 30 a minute with a burst of 10
        // is far above that and caps what one address can make the seed sign (~1 ms each).
        configuration.requestsPerAddressPerMinute = 30
        configuration.requestBurstPerAddress = 10
        configuration.maxRequestsPerConnection = 10
        configuration.handlerThreads = 2
        return configuration
    }
}
