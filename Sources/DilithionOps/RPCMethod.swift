/// One JSON-RPC method: its name, its parameters' names (for named-parameter calls and help),
/// a one-line help text and the closure that runs it on an RPC connection thread.
public struct RPCMethod: Sendable {
    /// Runs the call with positional parameters (named ones are already mapped to positions;
    /// missing trailing ones are absent, not `null`).
    public typealias Handler = @Sendable (_ params: [JSON]) throws(RPCError) -> JSON

    /// The method name, e.g. `getblockhash`.
    public let name: String
    /// Parameter names in position order, e.g. `["height"]`.
    public let parameterNames: [String]
    /// How many leading parameters are required.
    public let requiredCount: Int
    /// One line for `help`.
    public let summary: String
    /// The implementation.
    public let handler: Handler

    /// Creates a method.
    public init(name: String, parameterNames: [String] = [], requiredCount: Int = 0, summary: String,
                handler: @escaping Handler) {
        precondition(requiredCount <= parameterNames.count, "\(name): more required than declared parameters")
        self.name = name
        self.parameterNames = parameterNames
        self.requiredCount = requiredCount
        self.summary = summary
        self.handler = handler
    }

    /// `name param1 ( param2 )`: required parameters bare, optional ones in parentheses.
    public var usage: String {
        var parts = [name]
        for (index, parameter) in parameterNames.enumerated() {
            parts.append(index < requiredCount ? "\"\(parameter)\"" : "( \"\(parameter)\" )")
        }
        return parts.joined(separator: " ")
    }
}
