import DilithionWire

/// Typed access to positional RPC parameters, with Core's errors for a wrong type (-3) or value (-8).
package struct RPCParameters {
    package let values: [JSON]

    package init(_ values: [JSON]) { self.values = values }

    /// Parameter `index`, nil when absent or `null`.
    package func optional(_ index: Int) -> JSON? {
        guard index < values.count, !values[index].isNull else { return nil }
        return values[index]
    }

    package func string(_ index: Int, _ name: String) throws(RPCError) -> String? {
        guard let value = optional(index) else { return nil }
        guard let text = value.stringValue else { throw .typeError("\(name) must be a string") }
        return text
    }

    package func int(_ index: Int, _ name: String) throws(RPCError) -> Int64? {
        guard let value = optional(index) else { return nil }
        if let number = value.intValue { return number }
        // bitcoin-cli and curl users often send numbers as strings.
        if let text = value.stringValue, let number = Int64(text) { return number }
        throw .typeError("\(name) must be an integer")
    }

    package func bool(_ index: Int, _ name: String) throws(RPCError) -> Bool? {
        guard let value = optional(index) else { return nil }
        if let flag = value.boolValue { return flag }
        if let number = value.intValue { return number != 0 }
        if let text = value.stringValue, text == "true" || text == "false" { return text == "true" }
        throw .typeError("\(name) must be a boolean")
    }

    /// A block hash in display hex.
    package func hash(_ index: Int, _ name: String) throws(RPCError) -> Hash256 {
        guard let text = try string(index, name) else { throw .invalidParams("\(name) is required") }
        guard text.count == 64 else {
            throw .invalidParameter("\(name) must be of length 64 (not \(text.count), for '\(text.prefix(80))')")
        }
        guard let hash = Hash256(displayHex: text) else {
            throw .invalidParameter("\(name) must be hexadecimal string (not '\(text)')")
        }
        return hash
    }
}
