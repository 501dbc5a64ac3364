import DilithionSystem
import Logging

/// The admin JSON-RPC over HTTP POST: authentication (cookie or configured user), warm-up, then a
/// ``JSONRPCExchange`` over an ``RPCMethodTable`` (batches, both dialects, Core's status codes).
///
/// Use ``handle(_:)`` as an ``HTTPServer`` handler.
public final class RPCServer: @unchecked Sendable {
    /// Most calls accepted in one batch.
    public static let maxBatchSize = 1000

    private let authenticator: RPCAuthenticator
    private let table: RPCMethodTable
    private let logger: Logger
    private let warmupLock = PThreadMutex()
    // guarded by warmupLock
    private var warmupMessage: String?

    /// A server for `table`, accepting `authenticator`'s credentials. It starts in warm-up (every
    /// call but `stop` answers -28 with `warmupMessage`) until ``finishWarmup()``, unless
    /// `warmupMessage` is nil.
    public init(table: RPCMethodTable, authenticator: RPCAuthenticator, logger: Logger, warmupMessage: String? = nil) {
        self.table = table
        self.authenticator = authenticator
        self.logger = logger
        self.warmupMessage = warmupMessage
    }

    /// Changes the warm-up message (e.g. "Starting network…").
    public func setWarmup(_ message: String) { warmupLock.withLock { warmupMessage = message } }

    /// Ends warm-up: every method becomes callable.
    public func finishWarmup() { warmupLock.withLock { warmupMessage = nil } }

    /// Handles one HTTP request.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard authenticator.isAuthorized(request.header("authorization")) else {
            logger.warning("rpc: refused unauthenticated request")
            return HTTPResponse(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"jsonrpc\"")])
        }
        guard request.method == "POST" else {
            return HTTPResponse.text("JSONRPC server handles only POST requests\n", status: 405)
        }
        guard request.target == "/" else { return HTTPResponse.text("not found\n", status: 404) }
        let warmup = warmupLock.withLock { warmupMessage }
        let exchange = JSONRPCExchange(table: table, maxBatchSize: Self.maxBatchSize, logger: logger) { method in
            guard method != "stop", let warmup else { return nil }
            return .warmingUp(warmup)
        }
        return exchange.respond(to: request.body)
    }
}
