import Logging

/// One JSON-RPC exchange over an HTTP body: parsing (single calls and batches; JSON-RPC 1.0 and
/// 2.0), dispatch through an ``RPCMethodTable``, and Bitcoin Core's status codes. Shared by the
/// admin ``RPCServer`` and the public ``AttestationEndpoint``; neither authentication nor warm-up is
/// its business (the caller passes a `gate` that may refuse a method).
///
/// Legacy (1.0-style) replies carry both `result` and `error` and use HTTP 500/404/400 for errors
/// like Core; `"jsonrpc": "2.0"` requests always get HTTP 200 with exactly one of them, and
/// notifications (2.0 without `id`) get 204.
struct JSONRPCExchange {
    let table: RPCMethodTable
    /// Most calls in one batch; 0 refuses batches.
    let maxBatchSize: Int
    let logger: Logger
    /// Returns an error to answer instead of running the method (e.g. warm-up), or nil.
    let gate: (_ method: String) -> RPCError?

    /// The response to a POST body.
    func respond(to bytes: [UInt8]) -> HTTPResponse {
        let body: JSON
        do {
            body = try JSONParser.parse(bytes)
        } catch {
            return Self.reply(.failure(.parseError("Parse error: \(error)")), id: .null, version2: false)
        }
        switch body {
        case .array(let calls):
            guard maxBatchSize > 0 else {
                return Self.reply(.failure(.invalidRequest("Batch requests are not served here")), id: .null, version2: true)
            }
            guard !calls.isEmpty else {
                return Self.reply(.failure(.invalidRequest("Empty batch")), id: .null, version2: true)
            }
            guard calls.count <= maxBatchSize else {
                return Self.reply(.failure(.invalidRequest("Batch larger than \(maxBatchSize)")), id: .null, version2: true)
            }
            let replies = calls.compactMap { call -> JSON? in
                let (outcome, id, version2, isNotification) = execute(call)
                return isNotification ? nil : Self.envelope(outcome, id: id, version2: version2)
            }
            return .json(.array(replies))
        default:
            let (outcome, id, version2, isNotification) = execute(body)
            if isNotification { return HTTPResponse(status: 204) }
            return Self.reply(outcome, id: id, version2: version2)
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
        if let refusal = gate(method) { return (.failure(refusal), id, version2, isNotification) }
        logger.debug("rpc: \(method)")
        do {
            return (.success(try table.call(method, params: call["params"])), id, version2, isNotification)
        } catch {
            return (.failure(error), id, version2, isNotification)
        }
    }

    /// An HTTP response for one outcome.
    static func reply(_ outcome: Result<JSON, RPCError>, id: JSON, version2: Bool) -> HTTPResponse {
        let status: Int
        switch outcome {
        case .success: status = 200
        case .failure where version2: status = 200
        case .failure(let error) where error.code == -32600: status = 400
        case .failure(let error) where error.code == -32601: status = 404
        case .failure: status = 500
        }
        return .json(envelope(outcome, id: id, version2: version2), status: status)
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
