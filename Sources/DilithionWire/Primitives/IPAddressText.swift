/// Converts between 16-byte IP addresses (IPv4-mapped for IPv4) and their text forms.
public enum IPAddressText {
    /// Parses dotted IPv4 or an IPv6 literal (brackets allowed). IPv4 becomes `::ffff:a.b.c.d`.
    public static func parse(_ text: String) -> [UInt8]? {
        var host = Substring(text)
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        if let v4 = parseIPv4(host) { return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4 }
        return parseIPv6(host)
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        if let quad = parseDottedDecimal(text.utf8) { return quad }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out = [UInt8]()
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            out.append(value)
        }
        return out
    }

    /// The common form, `d.d.d.d` with 1–3 ASCII digits per part and each part ≤ 255, read byte
    /// by byte without building substrings (it runs for every version message the node sends).
    /// Nil for anything else, which ``parseIPv4(_:)`` then reads the general way.
    private static func parseDottedDecimal(_ text: Substring.UTF8View) -> [UInt8]? {
        var quad: [UInt8] = []
        quad.reserveCapacity(4)
        var value = 0
        var digits = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, quad.count < 3 else { return nil }
                quad.append(UInt8(value))
                value = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, quad.count == 3 else { return nil }
        quad.append(UInt8(value))
        return quad
    }

    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":"), text.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        let chars = Array(text)
        var halves: [String] = []
        var current = ""
        var index = 0
        while index < chars.count {
            if chars[index] == ":", index + 1 < chars.count, chars[index + 1] == ":" {
                halves.append(current)
                current = ""
                index += 2
            } else {
                current.append(chars[index])
                index += 1
            }
        }
        halves.append(current)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out = [UInt8]()
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                out += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Formats 16 bytes: dotted quad for IPv4-mapped, otherwise full lower-case IPv6 groups with the
    /// longest zero run compressed.
    public static func format(_ ip: [UInt8]) -> String {
        precondition(ip.count == 16)
        if ip[0..<10].allSatisfy({ $0 == 0 }) && ip[10] == 0xFF && ip[11] == 0xFF {
            return "\(ip[12]).\(ip[13]).\(ip[14]).\(ip[15])"
        }
        let groups = (0..<8).map { UInt16(ip[2 * $0]) << 8 | UInt16(ip[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength && index - runStart >= 2 { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
