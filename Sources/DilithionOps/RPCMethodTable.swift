/// The registry the RPC server dispatches through: method name → ``RPCMethod``. The server knows
/// nothing of the node; `RPCMethodTable.node(…)` fills a table for a running node, tests fill one
/// with fakes.
public struct RPCMethodTable: Sendable {
    private var methods: [String: RPCMethod] = [:]

    /// An empty table.
    public init() {}

    /// Adds (or replaces) `method`.
    public mutating func register(_ method: RPCMethod) { methods[method.name] = method }

    /// The method called `name`.
    public subscript(name: String) -> RPCMethod? { methods[name] }

    /// Every method name, sorted.
    public var names: [String] { methods.keys.sorted() }

    /// Runs `name` with `params` (an array, an object of named parameters, or absent): checks the
    /// count against the method's declaration, then calls it.
    public func call(_ name: String, params: JSON?) throws(RPCError) -> JSON {
        guard let method = methods[name] else { throw .methodNotFound(name) }
        var positional: [JSON]
        switch params {
        case nil, .null?:
            positional = []
        case .array(let items)?:
            positional = items
        case .object(let members)?:
            positional = []
            for (key, value) in members {
                guard let index = method.parameterNames.firstIndex(of: key) else {
                    throw .invalidParams("Unknown named parameter \(key)")
                }
                while positional.count <= index { positional.append(.null) }
                positional[index] = value
            }
            while let last = positional.last, last.isNull, positional.count > method.requiredCount {
                positional.removeLast()
            }
        default:
            throw .invalidRequest("params must be an array or an object")
        }
        guard positional.count >= method.requiredCount, positional.count <= method.parameterNames.count,
              !positional.prefix(method.requiredCount).contains(where: \.isNull) else {
            throw .invalidParams("Usage: \(method.usage)")
        }
        return try method.handler(positional)
    }
}
