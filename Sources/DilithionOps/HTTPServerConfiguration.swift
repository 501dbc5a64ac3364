/// Limits of the small HTTP/1.1 server behind JSON-RPC and `/metrics`. Every limit is here, each
/// with the reason for its value.
public struct HTTPServerConfiguration: Sendable {
    /// Request line plus headers. 16 KiB: curl and `dilithion-cli` send a few hundred bytes;
    /// Bitcoin Core's libevent server allows 8 KiB of headers.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Request body. 1 MiB: the largest RPC request (a batch of calls) is a few KiB.
    public var maxBodyBytes: Int = 1 << 20
    /// Connections served at once; more are answered 503 and closed. 16 like Core's `rpcworkqueue`:
    /// each takes a thread, and RPC users are operators and scripts, not the public.
    public var maxConnections: Int = 16
    /// A request must arrive completely within this many seconds of its first byte, and an idle
    /// keep-alive connection is closed after it (Core's `rpcservertimeout` is 30 s).
    public var requestTimeoutSeconds: Double = 30
    /// A response that the client does not read within this is abandoned.
    public var sendTimeoutSeconds: Double = 30
    /// Requests served on one keep-alive connection before it is closed.
    public var maxRequestsPerConnection: Int = 1000

    /// The defaults above.
    public init() {}
}
