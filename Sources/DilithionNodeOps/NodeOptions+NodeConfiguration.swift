import DilithionNode
import DilithionOps

/// How validated options become the node's configuration.
extension NodeOptions {
    /// The `NodeConfiguration` for these options:
    /// - `listen`: every `bind`; without `bind`, `0.0.0.0:<port>` and `[::]:<port>`, except that
    ///   `connect` without an explicit `port` or `bind` means no listening (like Bitcoin Core, and so
    ///   a second node on the same machine can `--connect` to the first);
    /// - `connect`, `addnode`, `seednode`, `externalip`, `reindex`, `mocktime`, `routable-subnet`, `randomx-mode`, `legacy-regtest` as given;
    /// - `maxconnections` as given, with the outbound target (8) capped at it;
    /// - `max-connections-per-ip` → `maxInboundPerIP`.
    public var nodeConfiguration: NodeConfiguration {
        var configuration = NodeConfiguration(network: network, dataDirectory: dataDirectory)
        if !bind.isEmpty {
            configuration.listen = bind.map(\.description)
        } else if !connect.isEmpty && !portIsExplicit {
            configuration.listen = []
        } else {
            configuration.listen = ["0.0.0.0:\(port)", "[::]:\(port)"]
        }
        configuration.connect = connect.map(\.description)
        configuration.addNodes = addNodes.map(\.description)
        configuration.seedNodes = seedNodes.map(\.description)
        configuration.maxConnections = maxConnections
        configuration.maxOutbound = min(configuration.maxOutbound, maxConnections)
        configuration.maxInboundPerIP = maxConnectionsPerIP
        configuration.externalIP = externalIP
        configuration.reindex = reindex
        configuration.mockTime = mockTime
        configuration.randomXMode = randomXMode
        configuration.legacyRegtest = legacyRegtest
        configuration.routableSubnets = routableSubnets
        return configuration
    }
}
