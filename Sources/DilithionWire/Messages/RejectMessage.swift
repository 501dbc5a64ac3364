/// `reject`: var_str command (≤ 12) ‖ u8 code ‖ var_str reason (≤ 200). The C++ node sends no hash
/// field; anything after the reason is kept as ``extraData`` (a Bitcoin-style peer's hash).
public struct RejectMessage: Hashable, Sendable {
    public enum Code: UInt8, Sendable {
        case malformed = 0x01
        case invalid = 0x10
        case obsolete = 0x11
        case duplicate = 0x12
    }

    public var rejectedCommand: [UInt8]
    public var code: UInt8
    public var reason: [UInt8]
    public var extraData: [UInt8]

    public init(rejectedCommand: String, code: Code, reason: String) {
        self.rejectedCommand = Array(rejectedCommand.utf8)
        self.code = code.rawValue
        self.reason = Array(reason.utf8.prefix(Limits.maxRejectReasonLength))
        self.extraData = []
    }

    /// The reason text, non-printable bytes replaced by `?`, safe to log.
    public var reasonText: String {
        String(decoding: reason.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// The rejected command as text (sanitized).
    public var rejectedCommandText: String {
        String(decoding: rejectedCommand.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// The C++ node's exact reject for a `version` with the wrong genesis hash.
    public static let genesisMismatch = RejectMessage(
        rejectedCommand: "version", code: .invalid,
        reason: "Genesis hash mismatch - wrong network or outdated binary. Download latest from https://github.com/dilithion/dilithion/releases")
}
