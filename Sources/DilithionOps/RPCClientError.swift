/// Why an RPC call from `dilithion-cli` failed.
public enum RPCClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection (node not running, wrong port).
    case cannotConnect(address: String, reason: String)
    /// The connection broke or timed out.
    case transport(String)
    /// HTTP 401: wrong or missing credentials.
    case unauthorized
    /// Not a JSON-RPC reply (HTTP status and a snippet of the body).
    case badReply(status: Int, body: String)
    /// The node answered with an error.
    case rpc(RPCError)

    public var description: String {
        switch self {
        case let .cannotConnect(address, reason):
            return "could not connect to the server \(address): \(reason)\n(make sure the node is running and the --rpcport/--network match)"
        case .transport(let reason): return "RPC connection failed: \(reason)"
        case .unauthorized: return "incorrect rpcuser or rpcpassword (authorization failed)"
        case let .badReply(status, body): return "unexpected HTTP \(status) reply: \(body)"
        case .rpc(let error): return "error code: \(error.code)\nerror message:\n\(error.message)"
        }
    }
}
