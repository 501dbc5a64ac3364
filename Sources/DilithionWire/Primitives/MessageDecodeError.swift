/// Why a well-framed payload could not be decoded into a message.
///
/// Each case carries the misbehaviour points the C++ node assigns to it (PROTOCOL.md §1 and §7), so
/// the peer layer can apply one policy: log the `reasonCode`, count it, add `misbehaviorPoints`,
/// and drop the message (every payload error drops only the message; the framing is intact).
public enum MessageDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload size is outside the command's window (§3.1). +20.
    case payloadSizeOutOfRange(command: String, size: Int, allowed: ClosedRange<Int>)
    /// A count exceeds the protocol limit for that field (inv > 50 000, headers > 2 000, …). +20.
    case countOverLimit(field: String, count: UInt64, limit: Int)
    /// A compact-block count beyond the C++ node's ban limits (`cmpctblock` > 10 000 prefilled or
    /// > 100 000 short ids, `getblocktxn` > 50 000 indexes, `blocktxn` > 100 000 transactions). +100.
    case compactCountOverLimit(field: String, count: UInt64, limit: Int)
    /// A count claims more items than the remaining bytes can hold. +10.
    case countExceedsBytes(field: String, count: UInt64, remainingBytes: Int)
    /// The payload ended before a field was complete. +10.
    case truncated(field: String)
    /// Bytes were left over after the last field of a message that allows none. +10.
    case trailingBytes(command: String, count: Int)
    /// A field holds a value the protocol forbids (a var_str over its limit, a nonzero tx count in
    /// `headers`, a var_int that does not fit a length, …). The points depend on the field.
    case invalidField(field: String, detail: String, points: Int)
    /// A `block` blob is larger than 4 MiB: the C++ node sends `reject` and bans (+100).
    case blockBlobTooLarge(size: UInt64)

    /// Misbehaviour points, with the C++ node's values as defaults.
    public var misbehaviorPoints: Int {
        switch self {
        case .payloadSizeOutOfRange, .countOverLimit: return 20
        case .countExceedsBytes, .truncated, .trailingBytes: return 10
        case .invalidField(_, _, let points): return points
        case .blockBlobTooLarge, .compactCountOverLimit: return 100
        }
    }

    /// A stable, kebab-case reason for logs and counters.
    public var reasonCode: String {
        switch self {
        case .payloadSizeOutOfRange: return "payload-size"
        case .countOverLimit: return "count-over-limit"
        case .compactCountOverLimit: return "compact-count-over-limit"
        case .countExceedsBytes: return "count-exceeds-bytes"
        case .truncated: return "truncated"
        case .trailingBytes: return "trailing-bytes"
        case .invalidField: return "invalid-field"
        case .blockBlobTooLarge: return "block-blob-too-large"
        }
    }

    public var description: String {
        switch self {
        case let .payloadSizeOutOfRange(command, size, allowed):
            return "\(command) payload of \(size) bytes is outside \(allowed.lowerBound)...\(allowed.upperBound)"
        case let .countOverLimit(field, count, limit):
            return "\(field) count \(count) exceeds the limit \(limit)"
        case let .compactCountOverLimit(field, count, limit):
            return "\(field) count \(count) exceeds the compact-block limit \(limit)"
        case let .countExceedsBytes(field, count, remaining):
            return "\(field) count \(count) claims more than the \(remaining) bytes left"
        case let .truncated(field):
            return "payload ends inside \(field)"
        case let .trailingBytes(command, count):
            return "\(count) trailing bytes after \(command)"
        case let .invalidField(field, detail, _):
            return "invalid \(field): \(detail)"
        case let .blockBlobTooLarge(size):
            return "block blob of \(size) bytes exceeds \(Limits.maxBlockBlob)"
        }
    }
}
