import DilithionNode
import DilithionOps
import DilithionWire

/// What the node RPC methods need from a node: `Node` conforms as is; tests use a fake.
public protocol NodeRPCBackend: Sendable {
    /// The node's configuration (network, data directory).
    var configuration: NodeConfiguration { get }
    /// Unix time the node started (mock-aware).
    var startTime: Int64 { get }
    /// Unix time now (mock-aware).
    var now: Int64 { get }
    func peerInfo() -> [PeerInfo]
    func networkInfo() -> NetworkInfo
    func netTotals() -> NetTotals
    func blockchainInfo() -> BlockchainInfo
    func blockHash(atHeight height: Int) -> Hash256?
    func headerInfo(hash: Hash256) -> HeaderInfo?
    func blockPayload(hash: Hash256) -> [UInt8]?
    func addNode(_ address: String, command: AddNodeCommand) throws(NodeControlError)
    func disconnect(address: String?, peerID: UInt64?) throws(NodeControlError)
    func setBan(_ address: String, command: BanCommand, duration: Int64?) throws(NodeControlError)
    func listBanned() -> [BanEntry]
    func clearBanned()
    func generate(blocks: Int, blockSize: Int) throws(NodeControlError) -> [Hash256]
    /// Regtest: jump the node's wall and engine clocks forward to `unixTime`; returns the seconds moved.
    @discardableResult
    func setMockTime(_ unixTime: Int64) throws(NodeControlError) -> Int64
}

extension Node: NodeRPCBackend {}
