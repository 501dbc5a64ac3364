#if canImport(Glibc)
import Glibc
#endif

/// A numeric loopback address and port, checked before any socket is made: the kit refuses to
/// dial or bind anything but `127.0.0.0/8` and `::1` (the repository's network-safety rule).
struct LoopbackAddress {
    /// The host as given (`localhost` becomes `127.0.0.1`).
    let host: String
    let port: UInt16
    let isIPv6: Bool
    private let ipv4: in_addr
    private let ipv6: in6_addr

    /// Parses `host` (brackets around an IPv6 address are allowed).
    init(host rawHost: String, port: UInt16) throws(FakePeerError) {
        var host = String(rawHost.filter { $0 != "[" && $0 != "]" })
        if host == "localhost" { host = "127.0.0.1" }
        self.host = host
        self.port = port
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            // s_addr is in network order: its first byte in memory is the first octet.
            let firstOctet = withUnsafeBytes(of: v4.s_addr) { $0[0] }
            guard firstOctet == 127 else { throw .notLoopback(host: rawHost) }
            isIPv6 = false
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            let isLoopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let isMappedLoopback = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
                && bytes[12] == 127
            guard isLoopback || isMappedLoopback else { throw .notLoopback(host: rawHost) }
            isIPv6 = true
        } else {
            throw .invalidAddress(host: rawHost)
        }
        ipv4 = v4
        ipv6 = v6
    }

    var family: Int32 { isIPv6 ? AF_INET6 : AF_INET }

    /// Calls `body` with the address as a `sockaddr` and its length.
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = ipv6
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = ipv4
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
