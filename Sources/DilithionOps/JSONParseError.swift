/// Why text is not JSON (or is JSON beyond our limits), with the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, e.g. "unexpected character".
    public let reason: String
    /// Byte offset into the UTF-8 input.
    public let offset: Int

    /// Creates an error at `offset`.
    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason) at byte \(offset)" }
}
