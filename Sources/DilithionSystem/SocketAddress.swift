#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric IPv4 or IPv6 address and a TCP port. No name resolution happens here.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// IPv4 (`AF_INET`).
        case ipv4
        /// IPv6 (`AF_INET6`).
        case ipv6
    }

    /// The address family, taken from the host text.
    public let family: Family
    /// The numeric host in its canonical text form, e.g. `127.0.0.1` or `::1`.
    public let host: String
    /// The TCP port; 0 asks the kernel for a free port when binding.
    public let port: UInt16

    /// Parses a numeric IPv4 or IPv6 host. Returns nil when `host` is not a numeric address.
    public init?(host: String, port: UInt16) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            family = .ipv4
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            family = .ipv6
        } else {
            return nil
        }
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:port`.
    public static func ipv4Loopback(port: UInt16 = 0) -> SocketAddress {
        SocketAddress(host: "127.0.0.1", port: port)!
    }

    /// `[::1]:port`.
    public static func ipv6Loopback(port: UInt16 = 0) -> SocketAddress {
        SocketAddress(host: "::1", port: port)!
    }

    /// `host:port`, with brackets around IPv6 hosts.
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The same host with another port.
    public func withPort(_ newPort: UInt16) -> SocketAddress {
        SocketAddress(host: host, port: newPort)!
    }

    /// `AF_INET` or `AF_INET6`, for `socket(2)` (package-wide: the reactor and the tests' sockets).
    package var addressFamily: Int32 { family == .ipv4 ? AF_INET : AF_INET6 }

    /// Calls `body` with this address as a `sockaddr` and its length.
    package func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, host, &address.sin_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Decodes a kernel-filled `sockaddr_storage`; nil for families other than IPv4/IPv6.
    package init?(storage: UnsafePointer<sockaddr_storage>) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let parsed: (String, UInt16)? = storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                var address = $0.pointee.sin_addr
                guard inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil else { return nil }
                return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), UInt16(bigEndian: $0.pointee.sin_port))
            }
            guard let parsed else { return nil }
            self.init(host: parsed.0, port: parsed.1)
        case AF_INET6:
            let parsed: (String, UInt16)? = storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                var address = $0.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return nil }
                return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), UInt16(bigEndian: $0.pointee.sin6_port))
            }
            guard let parsed else { return nil }
            self.init(host: parsed.0, port: parsed.1)
        default:
            return nil
        }
    }
}
