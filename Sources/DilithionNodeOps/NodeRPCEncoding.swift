import DilithionAttestation
import DilithionNode
import DilithionOps
import DilithionWire

/// The JSON shapes of the node's RPC results (named like Bitcoin Core's where it has the field) and
/// the RPC errors its control failures become.
public enum NodeRPCEncoding {
    /// One `getpeerinfo` entry.
    public static func peer(_ peer: PeerInfo) -> JSON {
        var members: [(String, JSON)] = [
            ("id", .int(Int64(peer.id))),
            ("addr", .string(peer.address)),
            ("inbound", .bool(peer.inbound)),
            ("connection_type", .string(
                peer.inbound ? "inbound" : peer.manual ? "manual" : peer.addressFetch ? "addr-fetch" : "outbound-full-relay")),
        ]
        if let version = peer.version { members.append(("version", .int(Int64(version)))) }
        if let subversion = peer.subversion { members.append(("subver", .string(subversion))) }
        if let height = peer.startingHeight { members.append(("startingheight", .int(Int64(height)))) }
        members += [
            ("synced_headers", .int(Int64(peer.syncedHeaders))),
            ("synced_blocks", .int(Int64(peer.syncedBlocks))),
            ("bytessent", .int(Int64(peer.bytesSent))),
            ("bytesrecv", .int(Int64(peer.bytesReceived))),
            ("bytessent_per_msg", counts(peer.bytesSentPerMessage)),
            ("bytesrecv_per_msg", counts(peer.bytesReceivedPerMessage)),
        ]
        if let ping = peer.pingSeconds { members.append(("pingtime", .double(ping))) }
        members += [
            ("conntime", .int(peer.connectionTime)),
            ("lastsend", .int(peer.lastSend ?? 0)),
            ("lastrecv", .int(peer.lastReceive ?? 0)),
            ("inflight", .int(Int64(peer.blocksInFlight))),
            ("inflight_limit", .int(Int64(peer.blocksInFlightLimit))),
            ("paused_recv", .bool(peer.readPaused)),
            ("paused_send", .bool(peer.sendPaused)),
            ("inbox_bytes", .int(Int64(peer.inboxBytes))),
            ("outbox_bytes", .int(Int64(peer.outboxBytes))),
            ("peak_inbox_bytes", .int(Int64(peer.peakInboxBytes))),
            ("peak_outbox_bytes", .int(Int64(peer.peakOutboxBytes))),
            ("dropped_frames", .int(Int64(peer.droppedFrames))),
            ("banscore", .int(Int64(peer.banScore))),
            ("handshake_complete", .bool(peer.handshakeComplete)),
        ]
        if let milliseconds = peer.handshakeMilliseconds { members.append(("handshake_ms", .double(milliseconds))) }
        if let hashes = peer.legacyHashes {
            members += [
                ("legacy_hashes", .int(Int64(hashes))),
                ("legacy_hashes_avoided", .int(Int64(peer.legacyHashesAvoided))),
                ("legacy_hash_budget_waits", .int(Int64(peer.legacyHashBudgetWaits))),
            ]
        }
        return .object(members)
    }

    /// `getnetworkinfo`.
    public static func network(_ info: NetworkInfo) -> JSON {
        .object([
            ("version", .string(info.version)),
            ("subversion", .string(info.subversion)),
            ("protocolversion", .int(Int64(info.protocolVersion))),
            ("connections", .int(Int64(info.connections))),
            ("connections_in", .int(Int64(info.connectionsIn))),
            ("connections_out", .int(Int64(info.connectionsOut))),
            ("networkactive", .bool(true)),
            ("localaddresses", .array(info.listening.map { .string($0) })),
            ("network", .string(info.network)),
        ])
    }

    /// `getnettotals`.
    public static func netTotals(_ totals: NetTotals) -> JSON {
        .object([
            ("totalbytesrecv", .int(Int64(totals.bytesReceived))),
            ("totalbytessent", .int(Int64(totals.bytesSent))),
            ("timemillis", .int(totals.timeMillis)),
        ])
    }

    /// `getblockchaininfo`.
    public static func blockchain(_ info: BlockchainInfo) -> JSON {
        .object([
            ("chain", .string(info.chain)),
            ("blocks", .int(Int64(info.blocks))),
            ("headers", .int(Int64(info.headers))),
            ("bestblockhash", .string(info.bestBlockHash.displayHex)),
            ("chainwork", .string(info.chainWork)),
            ("initialblockdownload", .bool(info.initialBlockDownload)),
            ("verificationprogress", .double(info.verificationProgress)),
            ("size_on_disk", .int(Int64(info.sizeOnDisk))),
        ])
    }

    /// `getblockheader` (verbose): the header fields and its place in the chain.
    public static func header(_ info: HeaderInfo) -> JSON {
        var members = headerFields(info)
        members.append(("stored", .bool(info.isStored)))
        return .object(members)
    }

    /// `getblock` verbosity 1: the header fields plus size and transaction ids.
    public static func block(_ info: HeaderInfo, payloadSize: Int, txids: [Hash256]) -> JSON {
        var members = headerFields(info)
        members += [
            ("size", .int(Int64(payloadSize))),
            ("nTx", .int(Int64(txids.count))),
            ("tx", .array(txids.map { .string($0.displayHex) })),
        ]
        return .object(members)
    }

    /// `listbanned` entry.
    public static func ban(_ entry: BanEntry, now: Int64) -> JSON {
        .object([
            ("address", .string(entry.address)),
            ("ban_created", .int(entry.createdAt)),
            ("banned_until", .int(entry.bannedUntil)),
            ("ban_duration", .int(entry.bannedUntil - entry.createdAt)),
            ("time_remaining", .int(max(0, entry.bannedUntil - now))),
            ("reason", .string(entry.reason)),
        ])
    }

    private static func headerFields(_ info: HeaderInfo) -> [(String, JSON)] {
        let header = info.header
        var members: [(String, JSON)] = [
            ("hash", .string(info.hash.displayHex)),
            ("confirmations", .int(Int64(info.confirmations))),
            ("height", .int(Int64(info.height))),
            ("version", .int(Int64(header.version))),
            ("versionHex", .string(hex32(UInt32(bitPattern: header.version)))),
            ("merkleroot", .string(header.merkleRoot.displayHex)),
            ("time", .int(Int64(header.time))),
            ("nonce", .int(Int64(header.nonce))),
            ("bits", .string(hex32(header.bits))),
            ("chainwork", .string(info.chainWork)),
        ]
        if header.isVDF {
            members.append(("vdfoutput", .string(header.vdfOutput.displayHex)))
            members.append(("vdfproofhash", .string(header.vdfProofHash.displayHex)))
        }
        if !header.previousBlockHash.isZero {
            members.append(("previousblockhash", .string(header.previousBlockHash.displayHex)))
        }
        if let next = info.nextHash { members.append(("nextblockhash", .string(next.displayHex))) }
        return members
    }

    private static func counts(_ values: [String: Int]) -> JSON {
        .object(values.keys.sorted().map { ($0, .int(Int64(values[$0]!))) })
    }

    private static func hex32(_ value: UInt32) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }

    /// The generic mapping of node control errors (method-specific cases are handled first).
    public static func rpcError(_ error: NodeControlError) -> RPCError {
        switch error {
        case .invalidAddress(let text): return .invalidAddressOrKey("Invalid address: \(text)")
        case .notFound(let text): return .invalidAddressOrKey("Not found: \(text)")
        case .alreadyAdded(let text): return .nodeAlreadyAdded("Already added: \(text)")
        case .notRegtest: return .misc("only available on regtest")
        case .invalidParameter(let text): return .invalidParameter(text)
        case .failed(let text): return .misc(text)
        }
    }

    /// A `checkmikattestations` result: whether the block passes the MIK-registration rule, and why.
    public static func mikAttestationCheck(_ result: Result<MIKAttestationCheck.Pass, MIKAttestationCheck.CheckFailure>,
                                           height: Int, activationHeight: Int) -> JSON {
        var members: [(String, JSON)] = [("height", .int(Int64(height))), ("activation_height", .int(Int64(activationHeight)))]
        switch result {
        case .success(.beforeActivation): members += [("passes", .bool(true)), ("result", .string("before-activation"))]
        case .success(.notARegistration): members += [("passes", .bool(true)), ("result", .string("not-a-registration"))]
        case .success(.attested(let verdict)):
            members += [("passes", .bool(true)), ("result", .string("attested")),
                        ("entries", .array(verdict.entries.map { .string(label($0)) }))]
        case .failure(let failure):
            members += [("passes", .bool(false)), ("result", .string("rejected")), ("error", .string(failure.message))]
        }
        return .object(members)
    }

    private static func label(_ verdict: AttestationVerifier.EntryVerdict) -> String {
        switch verdict {
        case .valid: return "valid"
        case .invalidSeedID: return "invalid-seed-id"
        case .duplicateSeed: return "duplicate-seed"
        case .stale(let seconds): return "stale (\(seconds) s before the block)"
        case .badSignature: return "bad-signature"
        }
    }
}
