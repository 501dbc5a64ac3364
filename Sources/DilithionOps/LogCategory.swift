/// The subsystems whose log level can be set on its own (`--loglevel net=debug,sync=info`).
///
/// A logger's category comes from its label, `dilithion.<category>` (e.g. the engine logs as
/// `dilithion.net`), or from a `category` metadata value on the message.
public enum LogCategory: String, Sendable, CaseIterable, Hashable {
    /// The engine: reactor, connections, framing, disconnects.
    case net
    /// The peer protocol: handshake, keepalive, addresses, bans.
    case peer
    /// Headers-first sync and block download.
    case sync
    /// The block store.
    case store
    /// The JSON-RPC and metrics servers.
    case rpc
}
