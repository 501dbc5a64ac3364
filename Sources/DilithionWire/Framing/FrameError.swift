/// Why the frame decoder refused the bytes it was given, and what to do about it.
///
/// Policy (written here, applied by the engine):
///
/// | kind | disposition | why |
/// |---|---|---|
/// | ``Kind/badMagic(received:)`` | disconnect | the stream is not ours (or lost sync); C++ closes too |
/// | ``Kind/badCommand(field:)`` | disconnect | a malformed header means the framing cannot be trusted |
/// | ``Kind/oversize(length:)`` | disconnect | refused before any payload byte is buffered |
/// | ``Kind/badChecksum(command:expected:received:)`` | drop the message | the length was valid, so framing is intact; the peer layer adds 50 misbehaviour points (two strikes ban) |
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The first 4 bytes are not this network's magic.
        case badMagic(received: UInt32)
        /// The 12-byte command field breaks a rule: byte 11 not NUL, a non-NUL byte after the first
        /// NUL, a non-printable character, or an empty command.
        case badCommand(field: [UInt8])
        /// The header claims a payload larger than the maximum.
        case oversize(length: UInt32)
        /// The checksum does not match the payload (checked for empty payloads too).
        case badChecksum(command: String, expected: UInt32, received: UInt32)
    }

    /// Which rule of the 12-byte command field a ``Kind/badCommand(field:)`` broke, for per-kind
    /// counters and log lines (RELIABILITY.md case 4).
    public enum CommandFieldDefect: String, Sendable, CaseIterable {
        /// The field starts with NUL: no command at all.
        case empty
        /// A byte outside printable ASCII (0x20-0x7E) before the first NUL: non-ASCII or a control byte.
        case nonPrintable = "non-printable"
        /// A NUL followed by more text ("ping\0x"): the field is not NUL-padded.
        case textAfterNul = "text-after-nul"
        /// All 12 bytes are text: byte 11 is not the terminating NUL.
        case unterminated

        /// Classifies a command field the decoder refused; nil when the field is valid.
        public init?(field: [UInt8]) {
            guard field.count == Limits.commandFieldSize else { return nil }
            var length = 0
            while length < field.count, field[length] != 0 {
                guard field[length] >= 0x20, field[length] <= 0x7E else {
                    self = .nonPrintable
                    return
                }
                length += 1
            }
            if length == 0 {
                self = .empty
            } else if length == field.count {
                self = .unterminated
            } else if field[length...].contains(where: { $0 != 0 }) {
                self = .textAfterNul
            } else {
                return nil
            }
        }
    }

    /// What the caller must do.
    public enum Disposition: Sendable, Equatable {
        /// The frame was consumed and discarded; keep decoding.
        case dropMessage
        /// The stream cannot be framed any more: disconnect the peer. The decoder stays poisoned.
        case disconnectPeer
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var disposition: Disposition {
        switch kind {
        case .badMagic, .badCommand, .oversize: return .disconnectPeer
        case .badChecksum: return .dropMessage
        }
    }

    /// Stable kebab-case text for logs, counters and disconnect reasons.
    public var reasonCode: String {
        switch kind {
        case .badMagic: return "bad-magic"
        case .badCommand: return "bad-command"
        case .oversize: return "oversize"
        case .badChecksum: return "bad-checksum"
        }
    }

    /// The reason code refined by the kind of defect: `bad-command/<defect>` for a bad command
    /// field (``CommandFieldDefect``), otherwise ``reasonCode``. Keys of the engine's frame-error
    /// counters.
    public var detailCode: String {
        if case let .badCommand(field) = kind, let defect = CommandFieldDefect(field: field) {
            return "\(reasonCode)/\(defect.rawValue)"
        }
        return reasonCode
    }

    /// Misbehaviour points the C++ node assigns (only a bad checksum is scored; the others close).
    public var misbehaviorPoints: Int {
        if case .badChecksum = kind { return 50 }
        return 0
    }

    public var description: String {
        switch kind {
        case let .badMagic(received):
            return "bad magic \(NetworkMagic(received))"
        case let .badCommand(field):
            let defect = CommandFieldDefect(field: field).map { " (\($0.rawValue))" } ?? ""
            return "bad command field \(HexCoding.encode(field))\(defect)"
        case let .oversize(length):
            return "payload length \(length) exceeds \(Limits.maxMessagePayload)"
        case let .badChecksum(command, expected, received):
            return "bad checksum on \(command): expected \(String(expected, radix: 16)), got \(String(received, radix: 16))"
        }
    }
}
