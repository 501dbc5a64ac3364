import DilithionNode
import DilithionOps
import DilithionWire

/// The node's RPC methods, wired to a ``NodeRPCBackend``.
extension RPCMethodTable {
    /// Default `generate` block size in bytes when the second parameter is omitted.
    public static let defaultGenerateBlockSize = 1000

    /// Every method of the node. `requestStop` is called by `stop` after the reply is built; it
    /// must only signal the shutdown, not perform it (the reply still has to be sent).
    public static func node(_ node: any NodeRPCBackend, requestStop: @escaping @Sendable () -> Void) -> RPCMethodTable {
        var table = RPCMethodTable()
        table.register(RPCMethod(name: "getpeerinfo", summary: "Connected peers.") { _ throws(RPCError) in
            .array(node.peerInfo().sorted { $0.id < $1.id }.map(NodeRPCEncoding.peer))
        })
        table.register(RPCMethod(name: "getnetworkinfo", summary: "Version, connections, listening addresses.") { _ throws(RPCError) in
            NodeRPCEncoding.network(node.networkInfo())
        })
        table.register(RPCMethod(name: "getconnectioncount", summary: "Number of connected peers.") { _ throws(RPCError) in
            .int(Int64(node.networkInfo().connections))
        })
        table.register(RPCMethod(name: "getnettotals", summary: "Bytes received and sent.") { _ throws(RPCError) in
            NodeRPCEncoding.netTotals(node.netTotals())
        })
        table.register(RPCMethod(name: "getblockchaininfo", summary: "Chain, tip, headers, sync progress.") { _ throws(RPCError) in
            NodeRPCEncoding.blockchain(node.blockchainInfo())
        })
        table.register(RPCMethod(name: "getblockcount", summary: "Height of the best stored block.") { _ throws(RPCError) in
            .int(Int64(node.blockchainInfo().blocks))
        })
        table.register(RPCMethod(name: "getbestblockhash", summary: "Hash of the best stored block.") { _ throws(RPCError) in
            .string(node.blockchainInfo().bestBlockHash.displayHex)
        })
        table.register(RPCMethod(name: "getblockhash", parameterNames: ["height"], requiredCount: 1,
                                 summary: "Hash of the best-chain block at a height.") { values throws(RPCError) in
            let height = try RPCParameters(values).int(0, "height") ?? -1
            guard height >= 0, height <= Int64(Int.max), let hash = node.blockHash(atHeight: Int(height)) else {
                throw .invalidParameter("Block height out of range")
            }
            return .string(hash.displayHex)
        })
        table.register(RPCMethod(name: "getblockheader", parameterNames: ["blockhash", "verbose"], requiredCount: 1,
                                 summary: "A header as JSON (verbose, default) or hex.") { values throws(RPCError) in
            let parameters = RPCParameters(values)
            let hash = try parameters.hash(0, "blockhash")
            let verbose = try parameters.bool(1, "verbose") ?? true
            guard let info = node.headerInfo(hash: hash) else { throw .invalidAddressOrKey("Block not found") }
            return verbose ? NodeRPCEncoding.header(info) : .string(HexCoding.encode(info.header.serialized))
        })
        table.register(RPCMethod(name: "getblock", parameterNames: ["blockhash", "verbosity"], requiredCount: 1,
                                 summary: "A stored block: 0 = hex, 1 = JSON with transaction ids (default).") {
            values throws(RPCError) in
            let parameters = RPCParameters(values)
            let hash = try parameters.hash(0, "blockhash")
            let verbosity: Int64
            if let flag = parameters.optional(1)?.boolValue {
                verbosity = flag ? 1 : 0
            } else {
                verbosity = try parameters.int(1, "verbosity") ?? 1
            }
            guard verbosity == 0 || verbosity == 1 else { throw .invalidParameter("verbosity must be 0 or 1") }
            guard let info = node.headerInfo(hash: hash) else { throw .invalidAddressOrKey("Block not found") }
            guard let payload = node.blockPayload(hash: hash) else { throw .misc("Block not available (not yet downloaded)") }
            if verbosity == 0 { return .string(HexCoding.encode(payload)) }
            guard case .block(let message)? = try? Message.decode(command: Command.block, payload: payload),
                  let block = try? Block(message: message) else {
                throw .internalError("stored block \(hash.displayHex) does not decode")
            }
            return NodeRPCEncoding.block(info, payloadSize: payload.count, txids: block.txids)
        })
        table.register(RPCMethod(name: "addnode", parameterNames: ["node", "command"], requiredCount: 2,
                                 summary: "add / remove a node to keep connected, or onetry.") { values throws(RPCError) in
            let parameters = RPCParameters(values)
            let address = try parameters.string(0, "node") ?? ""
            let commandText = try parameters.string(1, "command") ?? ""
            guard let command = AddNodeCommand(rawValue: commandText) else {
                throw .invalidParameter("command must be one of: add, remove, onetry")
            }
            do throws(NodeControlError) {
                try node.addNode(address, command: command)
            } catch {
                switch error {
                case .alreadyAdded: throw .nodeAlreadyAdded("Node already added")
                case .notFound: throw .nodeNotAdded("Node could not be removed. It has not been added previously.")
                default: throw NodeRPCEncoding.rpcError(error)
                }
            }
            return .null
        })
        table.register(RPCMethod(name: "disconnectnode", parameterNames: ["address", "nodeid"],
                                 summary: "Disconnect a peer by address or by id.") { values throws(RPCError) in
            let parameters = RPCParameters(values)
            let address = try parameters.string(0, "address").flatMap { $0.isEmpty ? nil : $0 }
            let peerID = try parameters.int(1, "nodeid")
            guard (address == nil) != (peerID == nil) else {
                throw .invalidParams("Only one of address and nodeid should be provided.")
            }
            if let peerID, peerID < 0 { throw .invalidParameter("nodeid must not be negative") }
            do throws(NodeControlError) {
                try node.disconnect(address: address, peerID: peerID.map { UInt64($0) })
            } catch {
                if case .notFound = error { throw .nodeNotConnected("Node not found in connected nodes") }
                throw NodeRPCEncoding.rpcError(error)
            }
            return .null
        })
        table.register(RPCMethod(name: "setban", parameterNames: ["subnet", "command", "bantime"], requiredCount: 2,
                                 summary: "add / remove an IP ban; bantime in seconds (default 3600).") {
            values throws(RPCError) in
            let parameters = RPCParameters(values)
            let address = try parameters.string(0, "subnet") ?? ""
            let commandText = try parameters.string(1, "command") ?? ""
            guard let command = BanCommand(rawValue: commandText) else {
                throw .invalidParameter("command must be add or remove")
            }
            let bantime = try parameters.int(2, "bantime")
            if let bantime, bantime <= 0 { throw .invalidParameter("bantime must be a positive number of seconds") }
            do throws(NodeControlError) {
                try node.setBan(address, command: command, duration: bantime)
            } catch {
                switch error {
                case .invalidAddress: throw .invalidIPOrSubnet("Error: Invalid IP/Subnet")
                case .notFound: throw .invalidIPOrSubnet("Error: Unban failed. Requested address/subnet was not previously manually banned.")
                default: throw NodeRPCEncoding.rpcError(error)
                }
            }
            return .null
        })
        table.register(RPCMethod(name: "listbanned", summary: "Banned addresses.") { _ throws(RPCError) in
            let now = node.now
            return .array(node.listBanned().sorted { $0.address < $1.address }.map { NodeRPCEncoding.ban($0, now: now) })
        })
        table.register(RPCMethod(name: "clearbanned", summary: "Lift every ban.") { _ throws(RPCError) in
            node.clearBanned()
            return .null
        })
        if node.configuration.network == .regtest {
            table.register(RPCMethod(name: "generate", parameterNames: ["nblocks", "blocksize"], requiredCount: 1,
                                     summary: "Regtest: mine blocks of about blocksize bytes (default \(defaultGenerateBlockSize)).") {
                values throws(RPCError) in
                let parameters = RPCParameters(values)
                let count = try parameters.int(0, "nblocks") ?? 0
                let size = try parameters.int(1, "blocksize") ?? Int64(defaultGenerateBlockSize)
                guard count > 0, count <= 100_000 else { throw .invalidParameter("nblocks must be 1-100000") }
                guard size > 0, size <= Int64(Limits.maxBlockBlob) else {
                    throw .invalidParameter("blocksize must be 1-\(Limits.maxBlockBlob)")
                }
                do throws(NodeControlError) {
                    return .array(try node.generate(blocks: Int(count), blockSize: Int(size)).map { .string($0.displayHex) })
                } catch {
                    throw NodeRPCEncoding.rpcError(error)
                }
            })
        }
        if node.configuration.network == .regtest {
            table.register(RPCMethod(name: "setmocktime", parameterNames: ["timestamp"], requiredCount: 1,
                                     summary: "Regtest: jump the node's clock forward to this unix time; every timeout moves with it.") {
                values throws(RPCError) in
                guard let timestamp = try RPCParameters(values).int(0, "timestamp") else {
                    throw .invalidParameter("timestamp is required")
                }
                do throws(NodeControlError) {
                    try node.setMockTime(timestamp)
                    return .null
                } catch {
                    throw NodeRPCEncoding.rpcError(error)
                }
            })
        }
        table.register(RPCMethod(name: "uptime", summary: "Seconds since the node started.") { _ throws(RPCError) in
            .int(node.now - node.startTime)
        })
        table.register(RPCMethod(name: "stop", summary: "Shut the node down.") { _ throws(RPCError) in
            requestStop()
            return .string("Dilithion node stopping")
        })
        let summaries = table.names.compactMap { table[$0] }.map { "\($0.usage) — \($0.summary)" }
        table.register(RPCMethod(name: "help", parameterNames: ["command"], summary: "This list, or one method's usage.") {
            values throws(RPCError) in
            guard let name = try RPCParameters(values).string(0, "command") else {
                return .string((summaries + ["help ( \"command\" ) — This list, or one method's usage."]).sorted().joined(separator: "\n"))
            }
            guard let line = summaries.first(where: { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "\u{20}—") }) else {
                throw .invalidParameter("help: unknown command: \(name)")
            }
            return .string(line)
        })
        return table
    }
}
