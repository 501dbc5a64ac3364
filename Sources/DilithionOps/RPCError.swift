/// A JSON-RPC error: a code and a message. Codes follow Bitcoin Core where it has one
/// (`src/rpc/protocol.h`), else the JSON-RPC 2.0 specification.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The numeric code sent in `error.code`.
    public let code: Int
    /// The message sent in `error.message`.
    public let message: String

    /// Creates an error.
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) (code \(code))" }

    /// The body was not JSON (-32700).
    public static func parseError(_ message: String) -> RPCError { RPCError(code: -32700, message: message) }
    /// The JSON was not a request object (-32600).
    public static func invalidRequest(_ message: String) -> RPCError { RPCError(code: -32600, message: message) }
    /// No such method (-32601).
    public static func methodNotFound(_ name: String) -> RPCError { RPCError(code: -32601, message: "Method not found: \(name)") }
    /// Wrong number of parameters or an unknown named parameter (-32602).
    public static func invalidParams(_ message: String) -> RPCError { RPCError(code: -32602, message: message) }
    /// A handler failed unexpectedly (-32603).
    public static func internalError(_ message: String) -> RPCError { RPCError(code: -32603, message: message) }
    /// Any other failure (Core `RPC_MISC_ERROR`, -1).
    public static func misc(_ message: String) -> RPCError { RPCError(code: -1, message: message) }
    /// A parameter has the wrong JSON type (Core `RPC_TYPE_ERROR`, -3).
    public static func typeError(_ message: String) -> RPCError { RPCError(code: -3, message: message) }
    /// Unknown block or invalid address (Core `RPC_INVALID_ADDRESS_OR_KEY`, -5).
    public static func invalidAddressOrKey(_ message: String) -> RPCError { RPCError(code: -5, message: message) }
    /// A parameter has a bad value (Core `RPC_INVALID_PARAMETER`, -8).
    public static func invalidParameter(_ message: String) -> RPCError { RPCError(code: -8, message: message) }
    /// The node is still starting (Core `RPC_IN_WARMUP`, -28).
    public static func warmingUp(_ message: String) -> RPCError { RPCError(code: -28, message: message) }
    /// `addnode add` for a node already added, or `setban add` for an address already banned
    /// (Core `RPC_CLIENT_NODE_ALREADY_ADDED`, -23).
    public static func nodeAlreadyAdded(_ message: String) -> RPCError { RPCError(code: -23, message: message) }
    /// `addnode remove` for a node never added (Core `RPC_CLIENT_NODE_NOT_ADDED`, -24).
    public static func nodeNotAdded(_ message: String) -> RPCError { RPCError(code: -24, message: message) }
    /// `disconnectnode` for a peer not connected (Core `RPC_CLIENT_NODE_NOT_CONNECTED`, -29).
    public static func nodeNotConnected(_ message: String) -> RPCError { RPCError(code: -29, message: message) }
    /// `setban` with a bad address or an unknown ban (Core `RPC_CLIENT_INVALID_IP_OR_SUBNET`, -30).
    public static func invalidIPOrSubnet(_ message: String) -> RPCError { RPCError(code: -30, message: message) }
}
