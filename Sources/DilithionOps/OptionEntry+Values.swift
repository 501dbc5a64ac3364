/// Reading one setting's text as a typed value; a value that does not fit is an error naming
/// the setting (``label``) and what was expected.
extension OptionEntry {
    /// A TCP port: 1-65535, or 0-65535 when `allowZero` (0 = off).
    public func port(allowZero: Bool) throws(ConfigurationError) -> UInt16 {
        let range = allowZero ? 0...65535 : 1...65535
        guard let number = Int(value), range.contains(number) else {
            let bounds = allowZero ? "0-65535, 0 = off" : "1-65535"
            throw ConfigurationError("\(label): \"\(value)\" is not a port (\(bounds))")
        }
        return UInt16(number)
    }

    /// A whole number in `range`; `what` names it in the error (e.g. "number of connections").
    public func integer(in range: ClosedRange<Int>, what: String) throws(ConfigurationError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError("\(label): \"\(value)\" is not a \(what) (\(range.lowerBound)-\(range.upperBound))")
        }
        return number
    }

    /// `1`/`true`/`yes` or `0`/`false`/`no`, any case.
    public func boolean() throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw ConfigurationError("\(label): \"\(value)\" is not a boolean (1 or 0)")
        }
    }

    /// A numeric IP address with an optional port (`defaultPort` when absent; port 0 only when
    /// `allowZeroPort`); `example` shows a valid value in the error.
    public func endpoint(defaultPort: UInt16, allowZeroPort: Bool, example: String) throws(ConfigurationError) -> Endpoint {
        guard let endpoint = Endpoint.parse(value, defaultPort: defaultPort), allowZeroPort || endpoint.port != 0 else {
            throw ConfigurationError(
                "\(label): \"\(value)\" is not a numeric IP address with an optional port (e.g. \(example))")
        }
        return endpoint
    }

    /// A non-empty file path, a leading `~` standing for `HOME` in `environment`.
    public func path(environment: [String: String]) throws(ConfigurationError) -> String {
        guard !value.isEmpty else { throw ConfigurationError("\(label): empty path") }
        guard value == "~" || value.hasPrefix("~/"), let home = environment["HOME"], !home.isEmpty else { return value }
        return home + value.dropFirst()
    }
}
