/// An IP subnet in CIDR notation ("10.0.0.0/8", "fd00::/8"), matched against protocol addresses
/// (IPv4 as IPv4-mapped IPv6, so an IPv4 prefix of n bits covers 96 + n bits of the 16 bytes).
public struct IPSubnet: Sendable, Hashable, CustomStringConvertible {
    /// The network address, 16 bytes, host bits zero.
    public let network: [UInt8]
    /// Prefix length over the 16-byte form (96 + n for IPv4 /n).
    public let prefixLength: Int
    /// The notation it was parsed from, normalised (host bits cleared).
    public let description: String

    /// Parses "a.b.c.d/n" (n ≤ 32) or "v6::/n" (n ≤ 128); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), let address = IPAddressText.parse(String(parts[0])) else { return nil }
        let isIPv4 = !parts[0].contains(":")
        let limit = isIPv4 ? 32 : 128
        guard (0...limit).contains(bits) else { return nil }
        let length = isIPv4 ? 96 + bits : bits
        var masked = address
        for index in 0..<16 {
            let keep = max(0, min(8, length - index * 8))
            masked[index] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        self.network = masked
        self.prefixLength = length
        self.description = "\(IPAddressText.format(masked))/\(bits)"
    }

    /// True when `address` lies inside the subnet.
    public func contains(_ address: NetAddress) -> Bool {
        for index in 0..<16 {
            let keep = max(0, min(8, prefixLength - index * 8))
            if keep == 0 { return true }
            let mask: UInt8 = keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            if address.ip[index] & mask != network[index] { return false }
        }
        return true
    }
}
