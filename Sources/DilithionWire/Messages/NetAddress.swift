/// A network address as the protocol carries it: services ‖ ip[16] ‖ port (u16 **little-endian**,
/// unlike Bitcoin). IPv4 addresses are IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
///
/// This is the 26-byte form inside `version`; ``TimestampedAddress`` is the 30-byte form of `addr`.
public struct NetAddress: Hashable, Sendable, CustomStringConvertible {
    public var services: UInt64
    /// 16 bytes in network order.
    public var ip: [UInt8]
    public var port: UInt16

    public static let encodedSize = 26

    public init(services: UInt64, ip: [UInt8], port: UInt16) {
        precondition(ip.count == 16, "NetAddress ip must be 16 bytes")
        self.services = services
        self.ip = ip
        self.port = port
    }

    /// An IPv4 address (four octets) as an IPv4-mapped IPv6 address.
    public init(services: UInt64, ipv4: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
        self.init(services: services, ip: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, ipv4.0, ipv4.1, ipv4.2, ipv4.3], port: port)
    }

    /// Parses "a.b.c.d" or an IPv6 literal (with or without brackets) plus a port.
    public init?(host: String, port: UInt16, services: UInt64 = 1) {
        guard let ip = IPAddressText.parse(host) else { return nil }
        self.init(services: services, ip: ip, port: port)
    }

    /// True when the address is IPv4-mapped.
    public var isIPv4: Bool { ip[0..<10].allSatisfy { $0 == 0 } && ip[10] == 0xFF && ip[11] == 0xFF }

    /// The host as text ("127.0.0.1" or an IPv6 literal).
    public var host: String { IPAddressText.format(ip) }

    public var description: String { isIPv4 ? "\(host):\(port)" : "[\(host)]:\(port)" }

    /// True for addresses worth relaying: not unspecified, loopback, private (RFC 1918), link-local,
    /// CGNAT, documentation, multicast, unique-local IPv6 or port 0.
    public var isRoutable: Bool {
        guard port != 0 else { return false }
        if isIPv4 {
            let a = ip[12], b = ip[13]
            switch a {
            case 0, 10, 127: return false
            case 100 where (64...127).contains(b): return false
            case 169 where b == 254: return false
            case 172 where (16...31).contains(b): return false
            case 192 where b == 168: return false
            case 192 where b == 0 && ip[14] == 2: return false
            case 198 where b == 18 || b == 19: return false
            case 198 where b == 51 && ip[14] == 100: return false
            case 203 where b == 0 && ip[14] == 113: return false
            case 224...255: return false
            default: return true
            }
        }
        if ip.allSatisfy({ $0 == 0 }) { return false }
        if ip[0..<15].allSatisfy({ $0 == 0 }) && ip[15] == 1 { return false }
        if ip[0] == 0xFF { return false }
        if ip[0] == 0xFE && (ip[1] & 0xC0) == 0x80 { return false }
        if (ip[0] & 0xFE) == 0xFC { return false }
        if ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0D && ip[3] == 0xB8 { return false }
        return true
    }

    func write(to writer: inout ByteWriter) {
        writer.writeUInt64(services)
        writer.writeBytes(ip)
        writer.writeUInt16(port)
    }

    static func read(from reader: inout ByteReader, _ field: String) throws(MessageDecodeError) -> NetAddress {
        let services = try reader.readUInt64(field)
        let ip = try reader.readBytes(16, field)
        let port = try reader.readUInt16(field)
        return NetAddress(services: services, ip: ip, port: port)
    }
}

/// An `addr` entry: time u32 ‖ ``NetAddress`` (30 bytes).
public struct TimestampedAddress: Hashable, Sendable {
    /// Unix seconds when the address was last seen (the C++ node sends 0 for connected peers).
    public var time: UInt32
    public var address: NetAddress

    public static let encodedSize = 30

    public init(time: UInt32, address: NetAddress) {
        self.time = time
        self.address = address
    }
}
