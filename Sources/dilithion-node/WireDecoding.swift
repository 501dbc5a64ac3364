import DilithionNodeOps
import DilithionOps
import DilithionRandomX
import DilithionWire

/// Decodes hex frames for `dilithion-node wire decode`: one JSON object per frame.
struct WireDecoding {
    enum Failure: Error, CustomStringConvertible {
        case notHex
        case truncatedHeader(offset: Int, available: Int)
        case unknownMagic(offset: Int, magic: NetworkMagic)
        case badHeader(offset: Int, FrameError)
        case truncatedPayload(offset: Int, command: String, claimed: Int, available: Int)

        var description: String {
            switch self {
            case .notHex: return "input is not hex (expected an even number of 0-9a-f digits)"
            case let .truncatedHeader(offset, available):
                return "frame at byte \(offset): only \(available) of 24 header bytes present"
            case let .unknownMagic(offset, magic):
                return "frame at byte \(offset): magic \(magic) belongs to no known network"
            case let .badHeader(offset, error):
                return "frame at byte \(offset): \(error)"
            case let .truncatedPayload(offset, command, claimed, available):
                return "frame at byte \(offset) (\(command)): header claims \(claimed) payload bytes, \(available) present"
            }
        }
    }

    /// Hashes legacy (mainnet) headers; created only when one is met.
    private var legacyHasher: RandomXHasher?

    /// Decodes every frame in `hex`; returns the JSON lines and whether every checksum and payload
    /// was valid.
    mutating func decode(hex: String) throws(Failure) -> (lines: [String], allValid: Bool) {
        let trimmed = hex.filter { !$0.isWhitespace }
        guard let bytes = HexCoding.decode(trimmed) else { throw .notHex }
        var lines = [String]()
        var allValid = true
        var offset = 0
        while offset < bytes.count {
            let available = bytes.count - offset
            guard available >= Limits.frameHeaderSize else { throw .truncatedHeader(offset: offset, available: available) }
            let magicValue = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            guard let network = Network(magic: NetworkMagic(magicValue)) else {
                throw .unknownMagic(offset: offset, magic: NetworkMagic(magicValue))
            }
            let parsed = bytes.withUnsafeBytes { raw in
                Result { () throws(FrameError) -> FrameHeader in
                    try FrameHeader.parse(
                        UnsafeRawBufferPointer(rebasing: raw[offset..<offset + Limits.frameHeaderSize]),
                        expecting: network.magic, maxPayload: Limits.maxMessagePayload)
                }
            }
            let header: FrameHeader
            switch parsed {
            case .success(let valid): header = valid
            case .failure(let error): throw .badHeader(offset: offset, error)
            }
            let length = Int(header.payloadLength)
            guard available - Limits.frameHeaderSize >= length else {
                throw .truncatedPayload(
                    offset: offset, command: header.command, claimed: length,
                    available: available - Limits.frameHeaderSize)
            }
            let payload = Array(bytes[(offset + 24)..<(offset + 24 + length)])
            let computed = SHA3.checksum(payload)
            var fields: [(String, JSON)] = [
                ("network", .string(network.rawValue)),
                ("command", .string(header.command)),
                ("payload_length", .int(Int64(length))),
                ("checksum", .string(hex32(header.checksum))),
                ("checksum_valid", .bool(computed == header.checksum)),
            ]
            if computed != header.checksum { allValid = false }
            do {
                let message = try Message.decode(command: header.command, payload: payload)
                if let details = describe(message) { fields.append(("message", details)) }
            } catch {
                allValid = false
                fields.append(("decode_error", .string(error.description)))
                fields.append(("decode_error_reason", .string(error.reasonCode)))
            }
            lines.append(JSON.object(fields).compactText)
            offset += Limits.frameHeaderSize + length
        }
        return (lines, allValid)
    }

    private func hex32(_ checksum: UInt32) -> String {
        HexCoding.encode((0..<4).map { UInt8(truncatingIfNeeded: checksum >> (8 * UInt32($0))) })
    }

    private mutating func describe(_ message: Message) -> JSON? {
        switch message {
        case .version(let version):
            return .object([
                ("protocol_version", .int(Int64(version.protocolVersion))),
                ("services", .uint(version.services)),
                ("timestamp", .int(version.timestamp)),
                ("addr_recv", .string(version.receiver.description)),
                ("addr_from", .string(version.sender.description)),
                ("nonce", .string("0x" + String(version.nonce, radix: 16))),
                ("user_agent", .string(version.userAgent)),
                ("start_height", .int(Int64(version.startHeight))),
                ("relay", .bool(version.relay != 0)),
                ("genesis", .string(version.genesisHash.displayHex)),
                ("extension_bytes", .int(Int64(version.extensionBytes.count))),
            ])
        case .ping(let nonce), .pong(let nonce):
            return .object([("nonce", .string("0x" + String(nonce, radix: 16)))])
        case .addr(let entries):
            return .object([
                ("count", .int(Int64(entries.count))),
                ("addresses", .array(entries.map {
                    .object([("time", .uint(UInt64($0.time))), ("services", .uint($0.address.services)),
                             ("address", .string($0.address.description))])
                })),
            ])
        case .inv(let items), .getdata(let items):
            return .object([
                ("count", .int(Int64(items.count))),
                ("items", .array(items.map {
                    .object([("type", .uint(UInt64($0.type))), ("hash", .string($0.hash.displayHex))])
                })),
            ])
        case .getheaders(let request):
            return .object([
                ("locator", .array(request.locator.map { .string($0.displayHex) })),
                ("hash_stop", .string(request.hashStop.displayHex)),
            ])
        case .headers(let headers):
            return .object([
                ("count", .int(Int64(headers.count))),
                ("headers", .array(headers.map { headerJSON($0) })),
            ])
        case .block(let blockMessage):
            var fields: [(String, JSON)]
            if case .object(let headerFields) = headerJSON(blockMessage.header) { fields = headerFields } else { fields = [] }
            fields.append(("blob_length", .int(Int64(blockMessage.blob.count))))
            do {
                let block = try Block(message: blockMessage)
                fields.append(("tx_count", .int(Int64(block.transactions.count))))
                fields.append(("merkle_root_matches", .bool(block.computedMerkleRoot == blockMessage.header.merkleRoot)))
                fields.append(("txids", .array(block.txids.map { .string($0.displayHex) })))
            } catch {
                fields.append(("tx_parse_error", .string(error.description)))
            }
            return .object(fields)
        case .sendcmpct(let sendcmpct):
            return .object([("high_bandwidth", .uint(UInt64(sendcmpct.highBandwidth))), ("version", .uint(sendcmpct.version))])
        case .reject(let reject):
            return .object([
                ("rejected_command", .string(reject.rejectedCommandText)), ("code", .uint(UInt64(reject.code))),
                ("reason", .string(reject.reasonText)),
            ])
        case .cmpctblock(let compact):
            return .object([
                ("header", headerJSON(compact.header)), ("nonce", .string("0x" + String(compact.nonce, radix: 16))),
                ("prefilled", .int(Int64(compact.prefilled.count))), ("short_ids", .int(Int64(compact.shortIDs.count))),
            ])
        case .tx(let transaction):
            return .object([
                ("txid", .string(transaction.txid.displayHex)), ("inputs", .int(Int64(transaction.inputs.count))),
                ("outputs", .int(Int64(transaction.outputs.count))),
            ])
        case .dna(_, let payload), .unknown(_, let payload):
            return .object([("opaque_bytes", .int(Int64(payload.count)))])
        case .verack, .getaddr, .sendheaders, .mempool, .getblocktxn, .blocktxn:
            return nil
        }
    }

    private mutating func headerJSON(_ header: BlockHeader) -> JSON {
        if !header.isVDF && legacyHasher == nil { legacyHasher = RandomXHasher() }
        let hash = try? header.hash(legacyHasher: legacyHasher)
        var fields: [(String, JSON)] = [
            ("hash", hash.map { .string($0.displayHex) } ?? .null),
            ("version", .int(Int64(header.version))),
            ("prev", .string(header.previousBlockHash.displayHex)),
            ("merkle_root", .string(header.merkleRoot.displayHex)),
            ("time", .uint(UInt64(header.time))),
            ("bits", .string("0x" + String(header.bits, radix: 16))),
            ("nonce", .uint(UInt64(header.nonce))),
        ]
        if header.isVDF {
            fields.append(("vdf_output", .string(header.vdfOutput.displayHex)))
            fields.append(("vdf_proof_hash", .string(header.vdfProofHash.displayHex)))
        } else if let hash {
            fields.append(("meets_target", .bool(header.meetsTarget(hash: hash))))
        }
        return .object(fields)
    }
}
