/// One raw `key=value` setting, from the command line or a configuration file, before validation.
public struct OptionEntry: Sendable, Equatable {
    /// The option name without dashes, e.g. `port`, `max-connections-per-ip`.
    public var key: String
    /// The value as written (flags without a value use `"1"`).
    public var value: String
    /// Where it was written.
    public var source: OptionSource

    /// Creates an entry.
    public init(key: String, value: String, source: OptionSource) {
        self.key = key
        self.value = value
        self.source = source
    }

    /// How errors name this setting: `--port` or `dilithion.conf:7: port`.
    public var label: String {
        switch source {
        case .commandLine: return "--\(key)"
        case .file(let path, let line): return "\(path):\(line): \(key)"
        }
    }
}
