import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging


/// Connections and the handshake: slots and eviction on connect, the version and handshake
/// deadlines, keepalive pings, the handshake machine's actions. Dispatcher thread.
extension PeerProtocol {
    // MARK: Connection events

    func peerConnected(_ context: any HandlerContext, _ direction: PeerDirection) {
        guard let address = context.remoteAddress else { return }
        let now = wallClock.now
        if bans.isBanned(address.host, now: now) {
            logger.info("refusing banned peer", metadata: ["peer": "\(context.peer.rawValue)", "addr": "\(address)"])
            context.disconnect(reason: .banned)
            return
        }
        var evict: PeerID?
        let deliveredRecently = events?.peersThatDeliveredBlocks(since: context.now, within: .seconds(60)) ?? []
        let admitted: Bool = lock.withLock {
            if direction == .inbound {
                let inbound = sessions.values.filter { $0.direction == .inbound }
                if inbound.filter({ $0.address.host == address.host }).count >= configuration.maxInboundPerIP { return false }
                if inbound.count >= configuration.maxInbound {
                    evict = selectEvictionLocked(deliveredRecently: deliveredRecently)
                    if evict == nil { return false }
                }
            }
            let isManual = direction == .outbound && dial.isManual(peer: context.peer)
            let machine = HandshakeMachine(
                isOutbound: direction == .outbound, genesisHash: parameters.genesisHash,
                minimumProtocolVersion: parameters.minimumPeerProtocolVersion, localNonce: localNonce)
            sessions[context.peer] = PeerSession(
                id: context.peer, direction: direction, address: address, isManual: isManual, handshake: machine,
                now: context.now, nowSeconds: Double(context.now.nanoseconds) / 1e9)
            return true
        }
        if let evict { engine?.disconnect(evict, reason: .evicted) }
        guard admitted else {
            context.disconnect(reason: .noSlot)
            return
        }
        logger.debug("connected", metadata: ["peer": "\(context.peer.rawValue)", "addr": "\(address)", "dir": "\(direction.rawValue)"])
        context.scheduleTimer(after: configuration.timeouts.version, tag: PeerTimer.versionDeadline.rawValue)
        context.scheduleTimer(after: configuration.timeouts.handshake, tag: PeerTimer.handshakeDeadline.rawValue)
        context.scheduleTimer(after: configuration.timeouts.tick, tag: PeerTimer.keepalive.rawValue)
        let actions = lock.withLock { sessions[context.peer]?.handshake.connected() ?? [] }
        perform(actions, context)
    }

    func peerDisconnected(_ peer: PeerID, _ reason: DisconnectReason) {
        let wasInbound: Bool = lock.withLock {
            let session = sessions.removeValue(forKey: peer)
            if let session {
                logger.info("peer left", metadata: [
                    "peer": "\(peer.rawValue)", "addr": "\(session.address)", "reason": "\(reason.rawValue)"])
            }
            dial.peerDisconnected(peer, reason: reason, nowNanoseconds: clock.now.nanoseconds)
            return session?.direction == .inbound
        }
        // An inbound peer leaving frees no outbound slot: the dialer has nothing new to do (waking
        // it cost a thread switch per short inbound connection).
        if !wasInbound { dialerCondition.broadcast() }
        events?.peerLeft(peer)
    }

    func timerFired(_ context: any HandlerContext, _ tag: UInt64) {
        guard let timer = PeerTimer(rawValue: tag) else { return }
        let now = context.now
        switch timer {
        case .versionDeadline:
            let missing = lock.withLock { sessions[context.peer].map { $0.version == nil } ?? false }
            if missing { context.disconnect(reason: .handshakeTimeout) }
        case .handshakeDeadline:
            let incomplete = lock.withLock { sessions[context.peer].map { !$0.isEstablished } ?? false }
            if incomplete { context.disconnect(reason: .handshakeTimeout) }
        case .keepalive:
            keepalive(context, now: now)
            context.scheduleTimer(after: configuration.timeouts.tick, tag: PeerTimer.keepalive.rawValue)
            events?.tick(now: now)
        case .legacyHeadersReady:
            events?.legacyHeadersReady(for: context.peer)
        }
    }

    func keepalive(_ context: any HandlerContext, now: EngineInstant) {
        guard let stats = context.statistics else { return }
        let timeouts = configuration.timeouts
        let lastReceive = stats.lastReceive ?? stats.connectedAt ?? now
        if now.duration(since: lastReceive) >= timeouts.inactivity {
            context.disconnect(reason: .inactivity)
            return
        }
        var ping: UInt64?
        let timedOut: Bool = lock.withLock {
            guard let session = sessions[context.peer], session.isEstablished else { return false }
            if let sentAt = session.pingSentAt {
                return now.duration(since: sentAt) >= timeouts.pongTimeout
            }
            let due = session.lastPingSentAt.map { now.duration(since: $0) >= timeouts.pingInterval }
                ?? (now.duration(since: session.establishedAt ?? session.connectedAt) >= timeouts.pingInterval)
            if due || now.duration(since: lastReceive) >= timeouts.pingInterval {
                let nonce = UInt64.random(in: 1...UInt64.max)
                session.pingNonce = nonce
                session.pingSentAt = now
                session.lastPingSentAt = now
                ping = nonce
            }
            // Misbehaviour decays by 1 point per tick (C++: 1 per 30 s).
            if session.misbehaviour > 0 { session.misbehaviour -= 1 }
            return false
        }
        if timedOut {
            context.disconnect(reason: .pingTimeout)
        } else if let ping {
            send(.ping(nonce: ping), context)
        }
    }


    // MARK: Handshake actions

    func perform(_ actions: [HandshakeMachine.Action], _ context: any HandlerContext) {
        for action in actions {
            switch action {
            case .sendVersion:
                send(.version(makeVersion(for: context)), context)
            case .sendVerack:
                send(.verack, context)
            case .sendReject(let reject):
                send(.reject(reject), context)
            case .ignore(let why):
                logger.info("\(why)", metadata: ["peer": "\(context.peer.rawValue)"])
                countIgnored(why.replacingOccurrences(of: " ", with: "-"))
            case .disconnect(let failure):
                handshakeFailed(failure, context)
            case .established:
                handshakeCompleted(context)
            }
        }
    }

    func makeVersion(for context: any HandlerContext) -> VersionMessage {
        let remote = context.remoteAddress
        let receiver = remote.flatMap { NetAddress(host: $0.host, port: $0.port) }
            ?? NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0)
        let port = engine?.listeningAddresses.first?.port ?? 0
        let sender = configuration.externalIP.flatMap { NetAddress(host: $0, port: port) }
            ?? NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0)
        return VersionMessage(
            protocolVersion: parameters.protocolVersion, services: 1, timestamp: wallClock.now,
            receiver: receiver, sender: sender, nonce: localNonce, userAgent: configuration.userAgent,
            startHeight: Int32(clamping: tipHeight()), relay: true, genesisHash: parameters.genesisHash)
    }

    func handshakeFailed(_ failure: HandshakeMachine.Failure, _ context: any HandlerContext) {
        let address = lock.withLock { sessions[context.peer]?.address }
        switch failure {
        case .wrongGenesis:
            context.disconnect(reason: .wrongGenesis)
        case .selfConnection:
            context.disconnect(reason: .selfConnection)
            lock.withLock { dial.markSelf(peer: context.peer) }
        case .missingServices:
            context.disconnect(reason: .missingServices)
        case .obsoleteVersion:
            if let address, !isManualPeer(context.peer) {
                bans.ban(address.host, duration: BanList.obsoleteVersionDuration, reason: "obsolete-version", now: wallClock.now)
            }
            context.disconnect(reason: .obsoleteVersion)
        }
        countMisbehaviour(failure.rawValue)
    }

    func handshakeCompleted(_ context: any HandlerContext) {
        let now = context.now
        let (direction, version, address, milliseconds): (PeerDirection?, VersionMessage?, SocketAddress?, Double) = lock.withLock {
            guard let session = sessions[context.peer] else { return (nil, nil, nil, 0) }
            session.establishedAt = now
            let ms = Double(now.duration(since: session.connectedAt).engineNanoseconds) / 1e6
            handshakeDurations.append(ms / 1000)
            if handshakeDurations.count > 1_000 { handshakeDurations.removeFirst(handshakeDurations.count - 1_000) }
            return (session.direction, session.version, session.address, ms)
        }
        guard let direction, let version, let address else { return }
        logger.info("handshake complete", metadata: [
            "peer": "\(context.peer.rawValue)", "addr": "\(address)", "dir": "\(direction.rawValue)",
            "ua": "\(version.userAgent)", "height": "\(version.startHeight)", "ms": "\(Int(milliseconds))"])
        send(.sendheaders, context)
        addressesAfterHandshake(context, direction: direction, version: version, address: address)
        lock.withLock { dial.markSuccess(peer: context.peer) }
        events?.peerEstablished(context.peer, version: version, host: address.host)
    }

}
