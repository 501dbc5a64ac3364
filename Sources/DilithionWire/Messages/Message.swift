/// Every message of the Dilithion P2P protocol as a Swift value (PROTOCOL.md §3).
///
/// ``decode(command:payload:)`` applies the per-command size window, the count limits and the
/// field rules, and fails with a typed ``MessageDecodeError``; ``encodePayload()`` writes the
/// canonical bytes. For every well-formed payload of a known command, encoding the decoded value
/// gives back the same bytes (the golden vectors test this).
public enum Message: Hashable, Sendable {
    case version(VersionMessage)
    case verack
    case ping(nonce: UInt64)
    case pong(nonce: UInt64)
    case getaddr
    case addr([TimestampedAddress])
    case inv([InventoryItem])
    case getdata([InventoryItem])
    case getheaders(GetHeadersMessage)
    case headers([BlockHeader])
    case block(BlockMessage)
    case tx(Transaction)
    case sendheaders
    case sendcmpct(SendCompactMessage)
    case reject(RejectMessage)
    case mempool
    case cmpctblock(CompactBlockMessage)
    case getblocktxn(GetBlockTransactionsMessage)
    case blocktxn(BlockTransactionsMessage)
    /// A Digital-DNA message, kept opaque (its size window was checked).
    case dna(command: String, payload: [UInt8])
    /// A command we do not act on (including `getblocks`, which the C++ node ignores too).
    case unknown(command: String, payload: [UInt8])

    /// The wire command.
    public var command: String {
        switch self {
        case .version: return Command.version
        case .verack: return Command.verack
        case .ping: return Command.ping
        case .pong: return Command.pong
        case .getaddr: return Command.getaddr
        case .addr: return Command.addr
        case .inv: return Command.inv
        case .getdata: return Command.getdata
        case .getheaders: return Command.getheaders
        case .headers: return Command.headers
        case .block: return Command.block
        case .tx: return Command.tx
        case .sendheaders: return Command.sendheaders
        case .sendcmpct: return Command.sendcmpct
        case .reject: return Command.reject
        case .mempool: return Command.mempool
        case .cmpctblock: return Command.cmpctblock
        case .getblocktxn: return Command.getblocktxn
        case .blocktxn: return Command.blocktxn
        case .dna(let command, _), .unknown(let command, _): return command
        }
    }

    /// Decodes a frame's payload.
    public static func decode(_ frame: Frame) throws(MessageDecodeError) -> Message {
        try decode(command: frame.command, payload: frame.payload)
    }

    /// Decodes a payload for `command`.
    public static func decode(command: String, payload: [UInt8]) throws(MessageDecodeError) -> Message {
        if let window = Command.sizeWindows[command], !window.contains(payload.count) {
            throw .payloadSizeOutOfRange(command: command, size: payload.count, allowed: window)
        }
        var reader = ByteReader(payload)
        let message: Message
        switch command {
        case Command.version:
            // Extension bytes after the genesis hash are allowed, so no end check here.
            return .version(try VersionMessage.read(from: &reader))
        case Command.verack: message = .verack
        case Command.getaddr: message = .getaddr
        case Command.sendheaders: message = .sendheaders
        case Command.mempool: message = .mempool
        case Command.ping: message = .ping(nonce: try reader.readUInt64("ping.nonce"))
        case Command.pong: message = .pong(nonce: try reader.readUInt64("pong.nonce"))
        case Command.addr:
            let count = try reader.readCount("addr", limit: Limits.maxAddresses, minItemSize: TimestampedAddress.encodedSize)
            var entries = [TimestampedAddress]()
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let time = try reader.readUInt32("addr.time")
                entries.append(TimestampedAddress(time: time, address: try NetAddress.read(from: &reader, "addr.address")))
            }
            message = .addr(entries)
        case Command.inv: message = .inv(try readInventory(&reader, "inv"))
        case Command.getdata: message = .getdata(try readInventory(&reader, "getdata"))
        case Command.getheaders:
            let count = try reader.readCount("getheaders.locator", limit: Limits.maxLocatorHashes, minItemSize: 32)
            var locator = [Hash256]()
            locator.reserveCapacity(count)
            for _ in 0..<count { locator.append(try reader.readHash("getheaders.locator")) }
            message = .getheaders(GetHeadersMessage(locator: locator, hashStop: try reader.readHash("getheaders.hashStop")))
        case Command.headers:
            let count = try reader.readCount("headers", limit: Limits.maxHeaders, minItemSize: BlockHeader.legacySize + 1)
            var headers = [BlockHeader]()
            headers.reserveCapacity(count)
            for _ in 0..<count {
                headers.append(try BlockHeader.read(from: &reader))
                let txCount = try reader.readCompactSize("headers.tx_count")
                if txCount != 0 {
                    throw .invalidField(field: "headers.tx_count", detail: "must be 0, got \(txCount)", points: 20)
                }
            }
            message = .headers(headers)
        case Command.block:
            let header = try BlockHeader.read(from: &reader)
            let length = try reader.readCompactSize("block.blob_length")
            if length > UInt64(Limits.maxBlockBlob) { throw .blockBlobTooLarge(size: length) }
            if length > UInt64(reader.remaining) {
                throw .countExceedsBytes(field: "block.blob", count: length, remainingBytes: reader.remaining)
            }
            message = .block(BlockMessage(header: header, blob: try reader.readBytes(Int(length), "block.blob")))
        case Command.tx: message = .tx(try Transaction.read(from: &reader))
        case Command.sendcmpct:
            var sendcmpct = SendCompactMessage(highBandwidth: false, version: 0)
            sendcmpct.highBandwidth = try reader.readUInt8("sendcmpct.high_bandwidth")
            sendcmpct.version = try reader.readUInt64("sendcmpct.version")
            message = .sendcmpct(sendcmpct)
        case Command.reject:
            var reject = RejectMessage(rejectedCommand: "", code: .malformed, reason: "")
            reject.rejectedCommand = try reader.readVarBytes("reject.command", maxLength: Limits.maxRejectCommandLength)
            reject.code = try reader.readUInt8("reject.code")
            reject.reason = try reader.readVarBytes("reject.reason", maxLength: Limits.maxRejectReasonLength)
            reject.extraData = try reader.readBytes(reader.remaining, "reject.extra")
            message = .reject(reject)
        case Command.cmpctblock: message = .cmpctblock(try readCompactBlock(&reader))
        case Command.getblocktxn:
            let hash = try reader.readHash("getblocktxn.hash")
            let count = try reader.readCount(
                "getblocktxn.indexes", limit: Limits.maxBlockTxnIndexes, minItemSize: 1, compactBlockLimit: true)
            var indexes = [UInt64]()
            indexes.reserveCapacity(count)
            for _ in 0..<count { indexes.append(try reader.readCompactSize("getblocktxn.index")) }
            message = .getblocktxn(GetBlockTransactionsMessage(blockHash: hash, indexes: indexes))
        case Command.blocktxn:
            let hash = try reader.readHash("blocktxn.hash")
            let count = try reader.readCount(
                "blocktxn.txs", limit: Limits.maxBlockTxnTransactions, minItemSize: Limits.minimumTransactionSize,
                compactBlockLimit: true)
            var transactions = [Transaction]()
            transactions.reserveCapacity(count)
            for _ in 0..<count { transactions.append(try Transaction.read(from: &reader)) }
            message = .blocktxn(BlockTransactionsMessage(blockHash: hash, transactions: transactions))
        default:
            if Command.dnaCommands.contains(command) { return .dna(command: command, payload: payload) }
            return .unknown(command: command, payload: payload)
        }
        try reader.expectEnd(command)
        return message
    }

    /// The canonical payload bytes.
    public func encodePayload() -> [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .verack, .getaddr, .sendheaders, .mempool: break
        case .version(let version): version.write(to: &writer)
        case .ping(let nonce), .pong(let nonce): writer.writeUInt64(nonce)
        case .addr(let entries):
            writer.writeCompactSize(entries.count)
            for entry in entries {
                writer.writeUInt32(entry.time)
                entry.address.write(to: &writer)
            }
        case .inv(let items), .getdata(let items):
            writer.writeCompactSize(items.count)
            for item in items {
                writer.writeUInt32(item.type)
                writer.writeHash(item.hash)
            }
        case .getheaders(let request):
            writer.writeCompactSize(request.locator.count)
            for hash in request.locator { writer.writeHash(hash) }
            writer.writeHash(request.hashStop)
        case .headers(let headers):
            writer.writeCompactSize(headers.count)
            for header in headers {
                header.write(to: &writer)
                writer.writeCompactSize(0)
            }
        case .block(let block):
            block.header.write(to: &writer)
            writer.writeVarBytes(block.blob)
        case .tx(let transaction): transaction.write(to: &writer)
        case .sendcmpct(let sendcmpct):
            writer.writeUInt8(sendcmpct.highBandwidth)
            writer.writeUInt64(sendcmpct.version)
        case .reject(let reject):
            writer.writeVarBytes(reject.rejectedCommand)
            writer.writeUInt8(reject.code)
            writer.writeVarBytes(reject.reason)
            writer.writeBytes(reject.extraData)
        case .cmpctblock(let compact):
            compact.header.write(to: &writer)
            writer.writeUInt64(compact.nonce)
            writer.writeCompactSize(compact.prefilled.count)
            for item in compact.prefilled {
                writer.writeCompactSize(item.index)
                item.transaction.write(to: &writer)
            }
            writer.writeCompactSize(compact.shortIDs.count)
            for id in compact.shortIDs {
                for byte in 0..<6 { writer.writeUInt8(UInt8(truncatingIfNeeded: id >> UInt64(8 * byte))) }
            }
        case .getblocktxn(let request):
            writer.writeHash(request.blockHash)
            writer.writeCompactSize(request.indexes.count)
            for index in request.indexes { writer.writeCompactSize(index) }
        case .blocktxn(let response):
            writer.writeHash(response.blockHash)
            writer.writeCompactSize(response.transactions.count)
            for transaction in response.transactions { transaction.write(to: &writer) }
        case .dna(_, let payload), .unknown(_, let payload): writer.writeBytes(payload)
        }
        return writer.bytes
    }

    private static func readInventory(_ reader: inout ByteReader, _ field: String) throws(MessageDecodeError) -> [InventoryItem] {
        let count = try reader.readCount(field, limit: Limits.maxInventoryItems, minItemSize: InventoryItem.encodedSize)
        var items = [InventoryItem]()
        items.reserveCapacity(count)
        for _ in 0..<count {
            let type = try reader.readUInt32("\(field).type")
            items.append(InventoryItem(type: type, hash: try reader.readHash("\(field).hash")))
        }
        return items
    }

    private static func readCompactBlock(_ reader: inout ByteReader) throws(MessageDecodeError) -> CompactBlockMessage {
        let header = try BlockHeader.read(from: &reader)
        let nonce = try reader.readUInt64("cmpctblock.nonce")
        let prefilledCount = try reader.readCount(
            "cmpctblock.prefilled", limit: Limits.maxCompactPrefilled, minItemSize: 1 + Limits.minimumTransactionSize,
            compactBlockLimit: true)
        var prefilled = [CompactBlockMessage.Prefilled]()
        prefilled.reserveCapacity(prefilledCount)
        for _ in 0..<prefilledCount {
            let index = try reader.readCompactSize("cmpctblock.prefilled.index")
            prefilled.append(.init(index: index, transaction: try Transaction.read(from: &reader)))
        }
        let shortCount = try reader.readCount(
            "cmpctblock.shortids", limit: Limits.maxCompactShortIDs, minItemSize: 6, compactBlockLimit: true)
        var shortIDs = [UInt64]()
        shortIDs.reserveCapacity(shortCount)
        for _ in 0..<shortCount {
            var id: UInt64 = 0
            for byte in 0..<6 { id |= UInt64(try reader.readUInt8("cmpctblock.shortid")) << UInt64(8 * byte) }
            shortIDs.append(id)
        }
        return CompactBlockMessage(header: header, nonce: nonce, prefilled: prefilled, shortIDs: shortIDs)
    }
}
