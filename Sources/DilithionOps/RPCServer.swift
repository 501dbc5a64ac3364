import DilithionSystem
import Logging

/// JSON-RPC over HTTP POST: authentication, request parsing (single calls and batches; JSON-RPC
/// 1.0 and 2.0), dispatch through an ``RPCMethodTable``, and Bitcoin Core's status codes.
///
/// Use ``handle(_:)`` as an ``HTTPServer`` handler. Legacy (1.0-style) replies carry both `result`
/// and `error` and use HTTP 500/404/400 for errors like Core; `"jsonrpc": "2.0"` requests always get
/// HTTP 200 with exactly one of them, and notifications (2.0 without `id`) get 204.
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
        let body: JSON
        do {
            body = try JSONParser.parse(request.body)
        } catch {
            return reply(.failure(.parseError("Parse error: \(error)")), id: .null, version2: false)
        }
        switch body {
        case .array(let calls):
            guard !calls.isEmpty else {
                return reply(.failure(.invalidRequest("Empty batch")), id: .null, version2: true)
            }
            guard calls.count <= Self.maxBatchSize else {
                return reply(.failure(.invalidRequest("Batch larger than \(Self.maxBatchSize)")), id: .null, version2: true)
            }
            let replies = calls.compactMap { call -> JSON? in
                let (outcome, id, version2, isNotification) = execute(call)
                return isNotification ? nil : Self.envelope(outcome, id: id, version2: version2)
            }
            return .json(.array(replies))
        default:
            let (outcome, id, version2, isNotification) = execute(body)
            if isNotification { return HTTPResponse(status: 204) }
            return reply(outcome, id: id, version2: version2)
        }
    }

    /// Runs one call object. Returns the outcome, its `id`, whether it is JSON-RPC 2.0, and whether
    /// it is a notification (2.0 without `id`: run, but no reply).
    private func execute(_ call: JSON) -> (Result<JSON, RPCError>, JSON, Bool, Bool) {
        guard case .object = call else {
            return (.failure(.invalidRequest("Invalid Request object")), .null, false, false)
        }
        let id = call["id"] ?? .null
        let version2 = call["jsonrpc"]?.stringValue == "2.0"
        if let version = call["jsonrpc"], version2 == false, version.stringValue != "1.0" {
            return (.failure(.invalidRequest("jsonrpc field must be \"1.0\" or \"2.0\"")), id, false, false)
        }
        let isNotification = version2 && call["id"] == nil
        guard let method = call["method"]?.stringValue else {
            return (.failure(.invalidRequest("Method must be a string")), id, version2, isNotification)
        }
        if method != "stop", let warmup = warmupLock.withLock({ warmupMessage }) {
            return (.failure(.warmingUp(warmup)), id, version2, isNotification)
        }
        logger.debug("rpc: \(method)")
        do {
            return (.success(try table.call(method, params: call["params"])), id, version2, isNotification)
        } catch {
            return (.failure(error), id, version2, isNotification)
        }
    }

    private func reply(_ outcome: Result<JSON, RPCError>, id: JSON, version2: Bool) -> HTTPResponse {
        let status: Int
        switch outcome {
        case .success: status = 200
        case .failure where version2: status = 200
        case .failure(let error) where error.code == -32600: status = 400
        case .failure(let error) where error.code == -32601: status = 404
        case .failure: status = 500
        }
        return .json(Self.envelope(outcome, id: id, version2: version2), status: status)
    }

    /// The reply object: 1.0 style `{result, error, id}`, 2.0 style `{jsonrpc, result|error, id}`.
    static func envelope(_ outcome: Result<JSON, RPCError>, id: JSON, version2: Bool) -> JSON {
        var members: [(String, JSON)] = version2 ? [("jsonrpc", .string("2.0"))] : []
        switch outcome {
        case .success(let result):
            members.append(("result", result))
            if !version2 { members.append(("error", .null)) }
        case .failure(let error):
            if !version2 { members.append(("result", .null)) }
            members.append(("error", .object([("code", .int(Int64(error.code))), ("message", .string(error.message))])))
        }
        members.append(("id", id))
        return .object(members)
    }
}
