import DilithionAttestation
import Logging

/// The public seed attestation endpoint: `getmikattestation` over JSON-RPC on a listener of its own
/// (`--attestbind`), with no credentials, as miners call the C++ seeds (`POST /`, JSON-RPC 2.0, an
/// ignored `Authorization: Basic rpc:rpc`). It serves that one method and nothing else: every other
/// method is "Method not found" from a table that holds only it, so nothing here reaches the node.
/// Batches are refused (one signature per request, the unit the per-address rate limit counts).
///
/// Use ``handle(_:)`` as the handler and ``refusal`` as the refusal responder of an ``HTTPServer``
/// with ``HTTPServerConfiguration/publicAttestation``.
public final class AttestationEndpoint: Sendable {
    private let service: AttestationService
    private let logger: Logger

    /// An endpoint answering with `service`.
    public init(service: AttestationService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    /// Handles one HTTP request.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "POST" else { return Self.refusal(405, "JSONRPC server handles only POST requests") }
        guard request.target == "/" else { return Self.refusal(404, "not found") }
        let table = RPCMethodTable.attestation(service, clientAddress: request.clientAddress, logger: logger)
        return JSONRPCExchange(table: table, maxBatchSize: 0, logger: logger) { _ in nil }.respond(to: request.body)
    }

    /// Refusals the HTTP server makes itself (503, 429, 408, 4xx) as JSON-RPC errors, so that a
    /// miner's client shows the reason (it looks for `"error"` and `"message"` in the body).
    public static let refusal: HTTPServer.RefusalResponder = { status, reason in
        JSONRPCExchange.reply(.failure(RPCError(code: -32000 - status, message: reason)), id: .null, version2: true)
            .withStatus(status)
    }
}
