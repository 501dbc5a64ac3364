import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Foundation

/// What RPC and metrics read, and the operator's controls. Callable from any thread.
extension Node {
    public func peerInfo() -> [PeerInfo] {
        let statistics = engine.allPeerStatistics
        let nowInstant = clock.now
        let nowUnix = wallClock.now
        let syncFacts = sync.allFacts()
        func unix(_ instant: EngineInstant?) -> Int64? {
            instant.map { nowUnix - Int64(nowInstant.duration(since: $0).engineNanoseconds / 1_000_000_000) }
        }
        let sessions = peers.sessionSnapshots()
        return statistics.map { stats in
                let session = sessions[stats.peer]
                let facts = syncFacts[stats.peer]
                let handshakeMs = session?.handshakeMilliseconds
                var info = PeerInfo(
                    id: stats.peer.rawValue, address: stats.remoteAddress.description, inbound: stats.direction == .inbound,
                    manual: session?.isManual ?? false, version: session?.version?.protocolVersion,
                    subversion: session?.version?.userAgent, startingHeight: session?.version?.startHeight,
                    handshakeComplete: session?.isEstablished ?? false, handshakeMilliseconds: handshakeMs,
                    syncedHeaders: Int(facts?.knownHeight ?? -1), syncedBlocks: Int(facts?.knownHeight ?? -1),
                    bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived,
                    bytesSentPerMessage: stats.sent.mapValues(\.bytes), bytesReceivedPerMessage: stats.received.mapValues(\.bytes),
                    pingSeconds: session?.lastPingRTT.map { Double($0.engineNanoseconds) / 1e9 },
                    pingWaitSeconds: session?.pingSentAt.map { Double(nowInstant.duration(since: $0).engineNanoseconds) / 1e9 },
                    connectedSeconds: Double(stats.connectedFor.engineNanoseconds) / 1e9,
                    connectionTime: unix(stats.connectedAt) ?? nowUnix, lastSend: unix(stats.lastSend),
                    lastReceive: unix(stats.lastReceive), blocksInFlight: facts?.blocksInFlight ?? 0,
                    blocksInFlightLimit: facts?.blocksInFlightLimit ?? 0,
                    readPaused: stats.isReadPaused, sendPaused: stats.isSendPaused, inboxBytes: stats.inboxBytes,
                    outboxBytes: stats.outboxBytes, peakInboxBytes: stats.peakInboxBytes,
                    peakOutboxBytes: stats.peakOutboxBytes, droppedFrames: stats.droppedFrames,
                    banScore: session?.misbehaviour ?? 0, addressFetch: session?.isAddressFetch ?? false)
                if let hashing = facts?.legacyHashing {
                    info.legacyHashes = hashing.hashesComputed
                    info.legacyHashesAvoided = hashing.hashesAvoided
                    info.legacyHashBudgetWaits = hashing.budgetWaits
                } else if parameters.usesLegacyHeaders {
                    info.legacyHashes = 0
                }
                return info
        }
    }

    public func networkInfo() -> NetworkInfo {
        let peers = engine.allPeerStatistics
        return NetworkInfo(
            version: NodeConfiguration.softwareVersion, subversion: configuration.userAgent,
            protocolVersion: parameters.protocolVersion, connections: peers.count,
            connectionsIn: peers.filter { $0.direction == .inbound }.count,
            connectionsOut: peers.filter { $0.direction == .outbound }.count,
            listening: engine.listeningAddresses.map(\.description), network: configuration.network.rawValue)
    }

    public func netTotals() -> NetTotals {
        // Every peer since the start, departed ones included (the engine adds them as they leave).
        let totals = engine.trafficTotals
        return NetTotals(bytesReceived: totals.bytesReceived, bytesSent: totals.bytesSent, timeMillis: wallClock.now * 1000)
    }

    public func blockchainInfo() -> BlockchainInfo {
        let tip = chain.tip
        let best = chain.bestHeader
        let size = (try? chain.statistics().store.totalBytes) ?? 0
        return BlockchainInfo(
            chain: configuration.network.rawValue, blocks: tip.height, headers: best.height, bestBlockHash: tip.hash,
            chainWork: chain.record(for: tip.hash)?.chainWork.description ?? "0",
            initialBlockDownload: sync.isInitialBlockDownload,
            verificationProgress: progress(tip: tip.height), sizeOnDisk: size)
    }

    /// The active tip's height over the height headers sync is heading for: the best header when its
    /// chain contains the active tip, else the tip itself (a free branch forking below the tip does
    /// not make a synced node look unsynced).
    private func progress(tip: Int) -> Double {
        let target = max(chain.headersSyncHeight, tip)
        return target == 0 ? 1 : Double(tip) / Double(target)
    }

    public func blockHash(atHeight height: Int) -> Hash256? {
        guard height >= 0, height <= chain.tip.height else { return nil }
        return chain.record(atHeight: height)?.hash
    }

    public func headerInfo(hash: Hash256) -> HeaderInfo? {
        guard let record = chain.record(for: hash) else { return nil }
        let onBest = chain.record(atHeight: record.height)?.hash == hash
        let tip = chain.tip.height
        let next = onBest ? chain.record(atHeight: record.height + 1)?.hash : nil
        return HeaderInfo(
            hash: hash, header: record.header, height: record.height,
            confirmations: onBest && record.height <= tip ? tip - record.height + 1 : -1,
            chainWork: record.chainWork.description, nextHash: next, isStored: (try? chain.blockPayload(hash: hash)) != nil)
    }

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
            peers.disconnectAll(host: host, reason: .banned)
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
    /// announces them.
    public func generate(blocks: Int, blockSize: Int) throws(NodeControlError) -> [Hash256] {
        guard configuration.network == .regtest else { throw .notRegtest }
        guard (1...100_000).contains(blocks) else { throw .invalidParameter("nblocks must be 1...100000") }
        guard (200...Limits.maxBlockBlob).contains(blockSize) else {
            throw .invalidParameter("blocksize must be 200...\(Limits.maxBlockBlob)")
        }
        let generator = RegtestChainGenerator(seed: UInt64(bitPattern: wallClock.now))
        var hashes = [Hash256]()
        for _ in 0..<blocks {
            let parent = chain.tip
            guard let parentTime = chain.record(for: parent.hash)?.header.time else { throw .failed("no tip record") }
            let time = max(parentTime + 1, UInt32(clamping: wallClock.now))
            let block = generator.makeBlock(parent: parent.hash, height: parent.height + 1, size: blockSize, time: time)
            let acceptance: BlockAcceptance
            do { acceptance = try chain.acceptBlock(block, now: wallClock.now) } catch { throw .failed("\(error)") }
            guard case .stored(let hash, _, _) = acceptance else { throw .failed("generated block refused: \(acceptance)") }
            hashes.append(hash)
            sync.announceTipIfMoved(except: nil, block: block)
        }
        return hashes
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
        peers.wakeDialer()
        logger.info("mock time set", metadata: ["time": "\(unixTime)", "advanced_seconds": "\(delta)"])
        return delta
    }

    public func metricsSnapshot() -> NodeMetricsSnapshot {
        let engineStatistics = engine.statistics
        let peerStatistics = engine.allPeerStatistics
        var byState: [String: Int] = [:]
        var received: [String: Int] = [:], sent: [String: Int] = [:], receivedCount: [String: Int] = [:], sentCount: [String: Int] = [:]
        for stats in peerStatistics {
            byState["\(stats.direction.rawValue)/\(stats.lifecycle)", default: 0] += 1
            for (command, value) in stats.received { received[command, default: 0] += value.bytes; receivedCount[command, default: 0] += value.messages }
            for (command, value) in stats.sent { sent[command, default: 0] += value.bytes; sentCount[command, default: 0] += value.messages }
        }
        let chainStatistics = try? chain.statistics()
        let store = chainStatistics?.store
        let blocksPerSecond = sync.blocksPerSecond
        let counters = peers.counters()
        byState["established", default: 0] = counters.establishedPeers
        let info = blockchainInfo()
        let traffic = engine.trafficTotals
        return NodeMetricsSnapshot(
            peersByDirectionAndState: byState, bytesReceivedByCommand: received, bytesSentByCommand: sent,
            messagesReceivedByCommand: receivedCount, messagesSentByCommand: sentCount,
            bytesReceivedTotalByCommand: traffic.received.mapValues(\.bytes), bytesSentTotalByCommand: traffic.sent.mapValues(\.bytes),
            messagesReceivedTotalByCommand: traffic.received.mapValues(\.messages),
            messagesSentTotalByCommand: traffic.sent.mapValues(\.messages), handshakeSeconds: counters.handshakeSeconds,
            disconnectsByReason: Dictionary(uniqueKeysWithValues: engineStatistics.disconnects.map { ($0.key.rawValue, $0.value) }),
            misbehaviourByReason: counters.misbehaviourByReason, frameErrorsByKind: engineStatistics.frameErrors, ignoredByReason: counters.ignoredByReason,
            acceptFailuresByReason: Dictionary(uniqueKeysWithValues: engineStatistics.acceptFailures.map { ($0.key.reasonCode, $0.value) }),
            bans: bans.list(now: wallClock.now).count,
            inboxBytes: peerStatistics.reduce(0) { $0 + $1.inboxBytes }, outboxBytes: peerStatistics.reduce(0) { $0 + $1.outboxBytes },
            dispatcherQueueDepth: peerStatistics.reduce(0) { $0 + $1.inboxMessages }, tipHeight: info.blocks,
            headersHeight: info.headers, ibdProgress: info.verificationProgress, blocksPerSecond: blocksPerSecond,
            storeBytes: store?.totalBytes ?? 0, storeBlocks: store?.blockCount ?? 0, uptimeSeconds: wallClock.now - startTime,
            reorgs: chainStatistics?.reorgs.count ?? 0, reorgDisconnectedBlocks: chainStatistics?.reorgs.disconnectedBlocks ?? 0,
            deepestReorg: chainStatistics?.reorgs.deepest ?? 0, headerTreeHeaders: chainStatistics?.headerCount ?? 0,
            sideBranchHeaders: chainStatistics?.sideBranchHeaderCount ?? 0,
            prunedHeaders: chainStatistics?.prunedHeaderCount ?? 0, evictedHeaders: chainStatistics?.evictedHeaderCount ?? 0,
            legacyHashing: sync.legacyHashingTotals.map {
                LegacyHashingCounters(
                    hashes: $0.hashesComputed, discarded: $0.hashesDiscarded, avoided: $0.hashesAvoided,
                    budgetWaits: $0.budgetWaits, queued: $0.jobsQueued)
            })
    }

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
