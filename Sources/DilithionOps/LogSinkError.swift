/// The log file could not be opened.
public struct LogSinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The log file.
    public let path: String
    /// `strerror` text.
    public let reason: String

    public var description: String { "cannot open the log file \(path): \(reason)" }
}
