@testable import DilithionNode
import DilithionSystem
import DilithionWire
@testable import DilithionNodeOps
@testable import DilithionOps

/// A node with a fixed three-block chain and scripted control results, for the RPC method table.
final class FakeNodeBackend: NodeRPCBackend, @unchecked Sendable {
    let configuration: NodeConfiguration
    let startTime: Int64 = 1_700_000_000
    let now: Int64 = 1_700_000_100
    let hashes = (0..<3).map { Hash256(w0: UInt64($0) + 1, w1: 0, w2: 0, w3: 0) }
    private let lock = PThreadMutex()
    private var added: Set<String> = []  // guarded by lock

    init(network: Network) { configuration = NodeConfiguration(network: network, dataDirectory: "/nonexistent") }

    func peerInfo() -> [PeerInfo] { [] }
    func networkInfo() -> NetworkInfo {
        NetworkInfo(version: "0.1.0", subversion: "/x/", protocolVersion: 70011, connections: 3, connectionsIn: 1,
                    connectionsOut: 2, listening: ["127.0.0.1:1"], network: configuration.network.rawValue)
    }
    func netTotals() -> NetTotals { NetTotals(bytesReceived: 10, bytesSent: 20, timeMillis: now * 1000) }
    func blockchainInfo() -> BlockchainInfo {
        BlockchainInfo(chain: "regtest", blocks: 2, headers: 2, bestBlockHash: hashes[2], chainWork: "6",
                       initialBlockDownload: false, verificationProgress: 1, sizeOnDisk: 100)
    }
    func blockHash(atHeight height: Int) -> Hash256? { hashes.indices.contains(height) ? hashes[height] : nil }
    func headerInfo(hash: Hash256) -> HeaderInfo? {
        guard let height = hashes.firstIndex(of: hash) else { return nil }
        let header = BlockHeader(version: 4, previousBlockHash: height > 0 ? hashes[height - 1] : .zero, merkleRoot: .zero,
                                 time: 1, bits: 0x207f_ffff, nonce: 0, vdfOutput: .zero, vdfProofHash: .zero)
        return HeaderInfo(hash: hash, header: header, height: height, confirmations: 3 - height, chainWork: "2",
                          nextHash: height < 2 ? hashes[height + 1] : nil, isStored: height < 2)
    }
    func blockPayload(hash: Hash256) -> [UInt8]? { hash == hashes[0] ? [0xAB, 0xCD] : nil }
    func addNode(_ address: String, command: AddNodeCommand) throws(NodeControlError) {
        guard address.hasPrefix("127.") else { throw .invalidAddress(address) }
        let outcome: NodeControlError? = lock.withLock {
            switch command {
            case .add, .onetry: return added.insert(address).inserted ? nil : .alreadyAdded(address)
            case .remove: return added.remove(address) == nil ? .notFound(address) : nil
            }
        }
        if let outcome { throw outcome }
    }
    func disconnect(address: String?, peerID: UInt64?) throws(NodeControlError) {
        guard peerID == 1 else { throw .notFound(address ?? "") }
    }
    func setBan(_ address: String, command: BanCommand, duration: Int64?) throws(NodeControlError) {
        guard address.hasPrefix("10.") else { throw .invalidAddress(address) }
        if command == .remove { throw .notFound(address) }
    }
    func listBanned() -> [BanEntry] {
        [BanEntry(address: "10.0.0.1", bannedUntil: now + 50, createdAt: now - 10, reason: "manual")]
    }
    func clearBanned() {}
    func generate(blocks: Int, blockSize: Int) throws(NodeControlError) -> [Hash256] {
        Array(hashes.prefix(blocks))
    }
    /// Mock times asked for; earlier than `now` is refused like the node does.
    private(set) var mockTimes: [Int64] = []
    func setMockTime(_ unixTime: Int64) throws(NodeControlError) -> Int64 {
        guard unixTime >= now else { throw .invalidParameter("before now") }
        lock.withLock { mockTimes.append(unixTime) }
        return unixTime - now
    }
}
