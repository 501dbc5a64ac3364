import DilithionWire

/// Which peer addresses the node treats as reachable from the network it serves, and how it
/// groups them: one rule for storing, answering `getaddr`, relaying and dialing.
///
/// On a public network only publicly routable addresses count (``DilithionWire/NetAddress/isRoutable``):
/// loopback, private, link-local and documentation addresses are never stored from `addr`, never
/// relayed and never dialed automatically. On regtest, ``routableSubnets`` may add subnets (an
/// emulated internet of network namespaces in `10.0.0.0/8`, loopback in tests) so that address
/// relay, `getaddr` answers and outbound selection run there as on the internet.
public struct AddressPolicy: Sendable, Equatable {
    /// Subnets treated as routable on top of the public ones (regtest only).
    public let routableSubnets: [IPSubnet]

    /// Public addresses only.
    public static let internet = AddressPolicy(routableSubnets: [])

    public init(routableSubnets: [IPSubnet]) {
        self.routableSubnets = routableSubnets
    }

    /// True for an address worth storing, relaying and dialing automatically.
    public func isRoutable(_ address: NetAddress) -> Bool {
        if address.isRoutable { return true }
        guard address.port != 0 else { return false }
        return routableSubnets.contains { $0.contains(address) }
    }

    /// The network group of an address: outbound connections go to distinct groups, so that one
    /// operator (one /16 of IPv4, one /32 of IPv6) cannot fill every outbound slot.
    public static func networkGroup(_ address: NetAddress) -> [UInt8] {
        address.isIPv4 ? [4, address.ip[12], address.ip[13]] : [6] + Array(address.ip[0..<4])
    }
}
