#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem

/// A numeric IP address and a TCP port as written in options: `1.2.3.4:8444`, `[::1]:8444`, or a
/// bare host that takes a default port. Host names are not accepted (the node does no DNS).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// The numeric host without brackets, e.g. `127.0.0.1` or `::1`.
    public let host: String
    /// The TCP port (0 only where the caller allows "any free port").
    public let port: UInt16

    /// Creates an endpoint from parts the caller has already validated.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around IPv6 hosts (the form `NodeConfiguration` takes).
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether the host is an IPv6 literal.
    public var isIPv6: Bool { host.contains(":") }

    /// The same address as a ``SocketAddress`` (for the socket calls); nil when the host is not
    /// a numeric address (an endpoint made from parts nobody validated).
    public var socketAddress: SocketAddress? { SocketAddress(host: host, port: port) }

    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`. A bare IPv6 literal without brackets is
    /// a host with no port. Returns nil for names, malformed text and ports outside 0-65535.
    public static func parse(_ text: String, defaultPort: UInt16) -> Endpoint? {
        var host = Substring(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = UInt16(rest.dropFirst()) else { return nil }
                port = value
            }
            guard isIPv6Literal(String(host)) else { return nil }
        } else if let colon = host.firstIndex(of: ":"), host.lastIndex(of: ":") == colon {
            guard let value = UInt16(host[host.index(after: colon)...]) else { return nil }
            port = value
            host = host[..<colon]
        }
        let hostText = String(host)
        guard isIPLiteral(hostText) else { return nil }
        return Endpoint(host: hostText, port: port)
    }

    /// Whether `text` is a numeric IPv4 or IPv6 address.
    public static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || isIPv6Literal(text)
    }

    private static func isIPv6Literal(_ text: String) -> Bool {
        var v6 = in6_addr()
        return inet_pton(AF_INET6, text, &v6) == 1
    }
}
