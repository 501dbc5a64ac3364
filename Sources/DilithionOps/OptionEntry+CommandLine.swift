#if canImport(Glibc)
import Glibc
#endif

/// How the `dilithion-node` subcommands hand their flags to ``NodeArguments``: every value as text,
/// so that a bad flag and a bad file line get the same one-line error.
extension OptionEntry {
    /// The parts of the process environment that reading the options uses (`HOME`).
    public static func processEnvironment() -> [String: String] {
        guard let home = getenv("HOME") else { return [:] }
        return ["HOME": String(cString: home)]
    }
}

extension [OptionEntry] {
    /// Appends the command-line flag `--key value` when `value` was given.
    public mutating func appendFlag(_ key: String, _ value: String?) {
        if let value { append(OptionEntry(key: key, value: value, source: .commandLine)) }
    }

    /// Appends `--key value` once per value (a repeatable flag).
    public mutating func appendFlag(_ key: String, _ values: [String]) {
        values.forEach { appendFlag(key, $0) }
    }

    /// Appends `--key` (as the value `1`) when `isSet`.
    public mutating func appendFlag(_ key: String, _ isSet: Bool) {
        appendFlag(key, isSet ? "1" : nil)
    }
}
