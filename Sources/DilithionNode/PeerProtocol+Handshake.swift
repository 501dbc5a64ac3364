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
        let isManual = direction == .outbound && dialer.isManual(peer: context.peer)
        // Eviction's protection set, built only when the inbound slots are full: sessions are added
        // and removed on this (the dispatcher) thread only, so the count still holds in `admit`.
        let needsEviction = direction == .inbound && sessions.inboundCount >= configuration.maxInbound
        let deliveredRecently = needsEviction
            ? events?.peersThatDeliveredBlocks(since: context.now, within: .seconds(60)) ?? [] : []
        let machine = HandshakeMachine(
            isOutbound: direction == .outbound, genesisHash: parameters.genesisHash,
            minimumProtocolVersion: parameters.minimumPeerProtocolVersion, localNonce: localNonce)
        let session = PeerSession(
            id: context.peer, direction: direction, address: address, isManual: isManual, handshake: machine,
            now: context.now, nowSeconds: Double(context.now.nanoseconds) / 1e9)
        let (admitted, evict) = sessions.admit(
            session, maxInbound: configuration.maxInbound, maxPerHost: configuration.maxInboundPerIP,
            deliveredRecently: deliveredRecently, now: clock.now)
        if let evict { engine?.disconnect(evict, reason: .evicted) }
        guard admitted else {
            context.disconnect(reason: .noSlot)
            return
        }
        logger.debug("connected", metadata: ["peer": "\(context.peer.rawValue)", "addr": "\(address)", "dir": "\(direction.rawValue)"])
        context.scheduleTimer(after: configuration.timeouts.version, tag: PeerTimer.versionDeadline.rawValue)
        context.scheduleTimer(after: configuration.timeouts.handshake, tag: PeerTimer.handshakeDeadline.rawValue)
        context.scheduleTimer(after: configuration.timeouts.tick, tag: PeerTimer.keepalive.rawValue)
        let actions = sessions.with(context.peer) { $0.handshake.connected() } ?? []
        perform(actions, context)
    }

    func peerDisconnected(_ peer: PeerID, _ reason: DisconnectReason) {
        let session = sessions.remove(peer)
        if let session {
            logger.info("peer left", metadata: [
                "peer": "\(peer.rawValue)", "addr": "\(session.address)", "reason": "\(reason.rawValue)"])
        }
        let wasInbound = session?.direction == .inbound
        dialer.peerDisconnected(peer, reason: reason, wakeUp: !wasInbound)
        exchange.peerLeft(peer)
        // The components behind the handshake gate (sync, compact relay, block serving) hold state
        // only for peers that completed it (``PeerEvents/peerEstablished(_:version:host:)``); a
        // connection that never did (a scanner, a refused or timed-out peer, most of a connection
        // flood) has nothing for them to tear down.
        if session?.isEstablished == true {
            events?.peerLeft(peer)
        }
    }

    func timerFired(_ context: any HandlerContext, _ tag: UInt64) {
        guard let timer = PeerTimer(rawValue: tag) else { return }
        let now = context.now
        switch timer {
        case .versionDeadline:
            let missing = sessions.with(context.peer) { $0.version == nil } ?? false
            if missing { context.disconnect(reason: .handshakeTimeout) }
        case .handshakeDeadline:
            let incomplete = sessions.with(context.peer) { !$0.isEstablished } ?? false
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
        let (timedOut, ping) = sessions.keepaliveTick(context.peer, now: now, lastReceive: lastReceive, timeouts: timeouts)
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
                penalties.handshakeFailed(failure, context, address: sessions.with(context.peer) { $0.address })
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

    func handshakeCompleted(_ context: any HandlerContext) {
        let now = context.now
        guard let (direction, version, address, milliseconds) = sessions.establish(context.peer, now: now) else { return }
        guard let version else { return }
        logger.info("handshake complete", metadata: [
            "peer": "\(context.peer.rawValue)", "addr": "\(address)", "dir": "\(direction.rawValue)",
            "ua": "\(version.userAgent)", "height": "\(version.startHeight)", "ms": "\(Int(milliseconds))"])
        send(.sendheaders, context)
        exchange.peerEstablished(context, direction: direction, version: version, address: address)
        dialer.markSuccess(peer: context.peer)
        events?.peerEstablished(context.peer, version: version, host: address.host)
    }

}
