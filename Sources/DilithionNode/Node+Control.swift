import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Foundation

/// What RPC and metrics read, and the operator's controls. Callable from any thread.
extension Node {
    public func peerInfo() -> [PeerInfo] { reports.peerInfo() }

    public func networkInfo() -> NetworkInfo { reports.networkInfo() }

    public func netTotals() -> NetTotals { reports.netTotals() }

    public func blockchainInfo() -> BlockchainInfo { reports.blockchainInfo() }

    public func blockHash(atHeight height: Int) -> Hash256? {
        guard height >= 0, height <= chain.tip.height else { return nil }
        return chain.record(atHeight: height)?.hash
    }

    public func headerInfo(hash: Hash256) -> HeaderInfo? { reports.headerInfo(hash: hash) }

    public func blockPayload(hash: Hash256) -> [UInt8]? { try? chain.blockPayload(hash: hash) }

    public func addNode(_ address: String, command: AddNodeCommand) throws(NodeControlError) {
        try peers.addNode(address, command: command)
    }

    public func addedNodes() -> [String] { peers.addedNodes() }

    public func disconnect(address: String?, peerID: UInt64?) throws(NodeControlError) {
        let peers = engine.allPeerStatistics
        let match = peers.first { stats in
            if let peerID { return stats.peer.rawValue == peerID }
            if let address {
                return stats.remoteAddress.description == address
                    || NetAddressKey.parse(address, defaultPort: parameters.defaultPort) == stats.remoteAddress
            }
            return false
        }
        guard let match else { throw .notFound(address ?? peerID.map(String.init) ?? "") }
        engine.disconnect(match.peer, reason: .localRequest)
    }

    public func setBan(_ address: String, command: BanCommand, duration: Int64?) throws(NodeControlError) {
        let host = NetAddressKey.parse(address, defaultPort: 1)?.host ?? address
        guard SocketAddress(host: host, port: 1) != nil else { throw .invalidAddress(address) }
        switch command {
        case .add:
            if let duration, duration <= 0 { throw .invalidParameter("bantime must be positive") }
            bans.ban(host, duration: duration ?? BanList.defaultDuration, reason: "manual", now: wallClock.now)
            peers.penalties.disconnectAll(host: host, reason: .banned)
        case .remove:
            guard bans.unban(host) else { throw .notFound(address) }
        }
    }

    public func listBanned() -> [BanEntry] {
        bans.list(now: wallClock.now).map {
            BanEntry(address: $0.address, bannedUntil: $0.bannedUntil, createdAt: $0.createdAt, reason: $0.reason)
        }
    }

    public func clearBanned() { bans.clear() }

    /// Regtest: mines `blocks` blocks of about `blockSize` bytes on the tip, stores them and
    /// announces them (``RegtestMiner``).
    public func generate(blocks: Int, blockSize: Int) throws(NodeControlError) -> [Hash256] {
        guard configuration.network == .regtest else { throw .notRegtest }
        return try RegtestMiner(chain: chain, sync: sync, wallClock: wallClock).generate(blocks: blocks, blockSize: blockSize)
    }

    /// Regtest: jumps the node's time forward to `unixTime`, like Bitcoin Core's `setmocktime`, so a
    /// multi-process test can make timeouts come due without waiting. The wall clock (timestamps,
    /// bans) moves to `unixTime`; when the node runs on an ``DilithionNet/OffsetClock`` (a regtest
    /// `dilithion-node` does) the engine clock behind every deadline (handshake, ping, stall,
    /// partial frame, send cap, dial back-off) moves forward by the same amount. Time never moves
    /// backward: an earlier `unixTime` is refused. Returns the seconds moved.
    @discardableResult
    public func setMockTime(_ unixTime: Int64) throws(NodeControlError) -> Int64 {
        guard configuration.network == .regtest else { throw .notRegtest }
        let now = wallClock.now
        guard unixTime >= now else {
            throw .invalidParameter("mock time \(unixTime) is before the node's time \(now); it only moves forward")
        }
        let delta = unixTime - now
        wallClock.advance(bySeconds: delta)
        if let engineClock = clock as? OffsetClock {
            engineClock.advance(by: .seconds(delta))
        }
        peers.dialer.wake()
        logger.info("mock time set", metadata: ["time": "\(unixTime)", "advanced_seconds": "\(delta)"])
        return delta
    }

    public func metricsSnapshot() -> NodeMetricsSnapshot { reports.metricsSnapshot() }

    /// Block requests waiting in the block server (peers over the send cap wait there).
    public var blockServerQueuedCount: Int { serving.queuedCount }

    /// Ignored-message counters by kind (for tests and the log at shutdown).
    public var ignoredMessageCounts: [String: Int] { peers.counters().ignoredByReason }
    /// The compact-block relay's counters (pushes, rebuilds, `getblocktxn` round trips, fallbacks).
    public var compactRelayCounts: [String: Int] { compactRelay.statistics }
    /// Misbehaviour counters by reason.
    public var misbehaviourCounters: [String: Int] { peers.counters().misbehaviourByReason }
    /// Address relay counters (for tests and diagnostics): entries relayed, addresses learnt,
    /// `addr` messages sent.
    public var addressRelayCounters: [String: Int] { peers.counters().addressRelay }
}
