/// Strict dotted-quad IPv4 text ⇄ a host-order `UInt32` (a.b.c.d → a<<24 | b<<16 | c<<8 | d).
public enum IPv4 {
    /// Parses `a.b.c.d` (decimal, 0-255, no leading `+`, no spaces, at most three digits per part);
    /// also accepts the IPv4-mapped IPv6 text `::ffff:a.b.c.d` that a dual-stack socket reports.
    public static func parse(_ text: some StringProtocol) -> UInt32? {
        parse(utf8: Array(text.utf8))
    }

    /// Parses the ASCII bytes of a dotted quad (the same rules as ``parse(_:)``).
    public static func parse(utf8 bytes: some Collection<UInt8>) -> UInt32? {
        var bytes = Array(bytes)
        let mappedPrefix = Array("::ffff:".utf8)
        if bytes.count > mappedPrefix.count, bytes.prefix(mappedPrefix.count).map(lowercased) == mappedPrefix {
            bytes.removeFirst(mappedPrefix.count)
        }
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// `a.b.c.d`.
    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }

    /// The /24 the address is in (the low byte cleared), the unit of the new-MIK rate limit.
    public static func subnet24(_ address: UInt32) -> UInt32 { address & 0xFFFF_FF00 }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
