/// A bad option or value, reported as one line naming it; the node exits with ``exitCode``.
///
/// The message names where the value came from: `--port: "70000" is not a port (1-65535)` for a
/// flag, `/etc/dilithion.conf:7: port: "70000" is not a port (1-65535)` for a file line.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Exit status for every configuration error (usage errors, like ArgumentParser's own).
    public static let exitCode: Int32 = 2

    /// The message without the program name.
    public let message: String

    /// Creates an error with `message` (no program name, no trailing newline).
    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The single line printed on standard error, e.g. `dilithion-node: --port: …`.
    public func line(program: String) -> String { "\(program): \(message)" }
}
