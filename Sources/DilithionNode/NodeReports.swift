import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire

/// Builds what RPC and metrics report (`getpeerinfo`, `getnetworkinfo`, `getnettotals`,
/// `getblockchaininfo`, `getblockheader`, the /metrics snapshot) from the snapshots the parts
/// copy in one short hold of their own locks; the answers are assembled with no lock held, so a
/// report never holds the dispatcher up.
///
/// Threads: any. It has no mutable state of its own: every property is an immutable reference to
/// a part (each guards its own state) or a value fixed at the node's start.
struct NodeReports: Sendable {
    let configuration: NodeConfiguration
    let parameters: NetworkParameters
    let engine: Engine
    let peers: PeerProtocol
    let sync: SyncCoordinator
    let chain: ChainState
    let compactRelay: CompactRelay
    let bans: BanList
    let wallClock: WallClock
    let clock: any EngineClock
    /// Unix time the node started (for the uptime).
    let startTime: Int64

    func peerInfo() -> [PeerInfo] {
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

    func networkInfo() -> NetworkInfo {
        let peers = engine.allPeerStatistics
        return NetworkInfo(
            version: NodeConfiguration.softwareVersion, subversion: configuration.userAgent,
            protocolVersion: parameters.protocolVersion, connections: peers.count,
            connectionsIn: peers.filter { $0.direction == .inbound }.count,
            connectionsOut: peers.filter { $0.direction == .outbound }.count,
            listening: engine.listeningAddresses.map(\.description), network: configuration.network.rawValue)
    }

    func netTotals() -> NetTotals {
        // Every peer since the start, departed ones included (the engine adds them as they leave).
        let totals = engine.trafficTotals
        return NetTotals(bytesReceived: totals.bytesReceived, bytesSent: totals.bytesSent, timeMillis: wallClock.now * 1000)
    }

    func blockchainInfo() -> BlockchainInfo {
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

    func headerInfo(hash: Hash256) -> HeaderInfo? {
        guard let record = chain.record(for: hash) else { return nil }
        let onBest = chain.record(atHeight: record.height)?.hash == hash
        let tip = chain.tip.height
        let next = onBest ? chain.record(atHeight: record.height + 1)?.hash : nil
        return HeaderInfo(
            hash: hash, header: record.header, height: record.height,
            confirmations: onBest && record.height <= tip ? tip - record.height + 1 : -1,
            chainWork: record.chainWork.description, nextHash: next, isStored: (try? chain.blockPayload(hash: hash)) != nil)
    }

    func metricsSnapshot() -> NodeMetricsSnapshot {
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
        var snapshot = NodeMetricsSnapshot(
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
        snapshot.compactRelayEvents = compactRelay.statistics
        snapshot.pushPeersOut = compactRelay.pushPeerCount
        snapshot.pushPeersIn = compactRelay.highBandwidthPeerIDs.count
        return snapshot
    }
}
