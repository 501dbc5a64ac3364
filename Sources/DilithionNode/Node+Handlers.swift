import DilithionChain
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

/// Timer tags of the per-peer timers.
enum PeerTimer: UInt64 {
    case versionDeadline = 1
    case handshakeDeadline = 2
    case keepalive = 3
}

/// The handler policy for messages that arrive before the handshake completes: everything but
/// `version`, `verack` and `reject` is ignored and counted (nothing is processed or answered);
/// more than ``preHandshakeLimit`` such messages disconnect the peer (`protocol-violation`).
let preHandshakeLimit = 100

extension Node {
    func makeHandlers() -> MessageHandlers {
        var handlers = MessageHandlers()
        handlers.onConnect = { [unowned self] context, direction in peerConnected(context, direction) }
        handlers.onDisconnect = { [unowned self] peer, reason in peerDisconnected(peer, reason) }
        handlers.onTimer = { [unowned self] context, tag in timerFired(context, tag) }
        handlers.onUnhandled = { [unowned self] context, frame in received(context, frame) }
        // Bad checksums: the frame was dropped; each costs its points (50: the second one bans,
        // as FrameError documents). The C++ node closes at the first one.
        handlers.onFramesDropped = { [unowned self] context, error, count in
            penalize(context, points: error.misbehaviorPoints * count, reason: error.reasonCode,
                     detail: count == 1 ? error.description : "\(error) (and \(count - 1) more)")
        }
        return handlers
    }

    // MARK: Connection events

    func peerConnected(_ context: HandlerContext, _ direction: PeerDirection) {
        guard let address = context.remoteAddress else { return }
        let now = wallClock.now
        if bans.isBanned(address.host, now: now) {
            peerLogger.info("refusing banned peer", metadata: ["peer": "\(context.peer.rawValue)", "addr": "\(address)"])
            context.disconnect(reason: .banned)
            return
        }
        var evict: PeerID?
        let deliveredRecently = sync.peersThatDeliveredBlocks(since: context.now, within: .seconds(60))
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
        if let evict { manager.disconnect(evict, reason: .evicted) }
        guard admitted else {
            context.disconnect(reason: .noSlot)
            return
        }
        peerLogger.debug("connected", metadata: ["peer": "\(context.peer.rawValue)", "addr": "\(address)", "dir": "\(direction.rawValue)"])
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
                peerLogger.info("peer left", metadata: [
                    "peer": "\(peer.rawValue)", "addr": "\(session.address)", "reason": "\(reason.rawValue)"])
            }
            dial.peerDisconnected(peer, reason: reason, nowNanoseconds: clock.now.nanoseconds)
            return session?.direction == .inbound
        }
        serving.forget(peer)
        // An inbound peer leaving frees no outbound slot: the dialer has nothing new to do (waking
        // it cost a thread switch per short inbound connection).
        if !wasInbound { dialerCondition.broadcast() }
        sync.peerLeft(peer)
    }

    func timerFired(_ context: HandlerContext, _ tag: UInt64) {
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
            sync.tick(now: now)
        }
    }

    func keepalive(_ context: HandlerContext, now: EngineInstant) {
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

    // MARK: Messages

    func received(_ context: HandlerContext, _ frame: Frame) {
        if frame.command == Command.ping, Node.pingSizeWindow.contains(frame.payloadCount) {
            // The commonest message answers itself: the pong echoes the ping's payload (its
            // nonce), so it reuses the checksum the decoder verified and needs no Message value.
            if admitsEstablished(context, frame) {
                context.send(command: Command.pong, payloadOf: frame)
            }
            return
        }
        let message: Message
        do {
            message = try Message.decode(frame)
        } catch {
            penalize(context, points: error.misbehaviorPoints, reason: error.reasonCode, detail: error.description)
            return
        }
        switch message {
        case .version(let version):
            let actions = lock.withLock { sessions[context.peer]?.handshake.received(version: version) ?? [] }
            perform(actions, context)
            return
        case .verack:
            let actions = lock.withLock { sessions[context.peer]?.handshake.receivedVerackMessage() ?? [] }
            perform(actions, context)
            return
        case .reject(let reject):
            peerLogger.info("peer sent reject", metadata: [
                "peer": "\(context.peer.rawValue)", "command": "\(reject.rejectedCommandText)",
                "code": "\(reject.code)", "reason": "\(reject.reasonText)"])
            return
        default:
            break
        }
        guard admitsEstablished(context, frame) else { return }
        // A block keeps the checksum its frame was verified against: the store serves it with that.
        let payloadChecksum = frame.verifiedChecksum.map { PayloadChecksum(checksum: $0, payloadCount: frame.payloadCount) }
        handleEstablished(message, context, payloadChecksum: payloadChecksum)
    }

    /// The size window of `ping` (PROTOCOL.md §3.1), read once: the fast path checks it per ping.
    static let pingSizeWindow = Command.sizeWindows[Command.ping] ?? 8...8

    /// Whether the peer completed its handshake. Before that, the message is ignored and counted,
    /// and more than ``preHandshakeLimit`` ignored messages disconnect the peer.
    func admitsEstablished(_ context: HandlerContext, _ frame: Frame) -> Bool {
        let (established, ignored): (Bool, Int) = lock.withLock {
            guard let session = sessions[context.peer] else { return (false, 0) }
            if session.isEstablished { return (true, 0) }
            session.preHandshakeIgnored += 1
            ignoredCounts["pre-handshake", default: 0] += 1
            return (false, session.preHandshakeIgnored)
        }
        guard !established else { return true }
        peerLogger.debug("ignored before handshake", metadata: ["peer": "\(context.peer.rawValue)", "command": "\(frame.command)"])
        if ignored > preHandshakeLimit { context.disconnect(reason: .protocolViolation) }
        return false
    }

    func handleEstablished(_ message: Message, _ context: HandlerContext, payloadChecksum: PayloadChecksum? = nil) {
        switch message {
        case .ping(let nonce):
            send(.pong(nonce: nonce), context)
        case .pong(let nonce):
            lock.withLock {
                guard let session = sessions[context.peer], session.pingNonce == nonce, let sentAt = session.pingSentAt else { return }
                session.lastPingRTT = context.now.duration(since: sentAt)
                session.pingNonce = nil
                session.pingSentAt = nil
            }
        case .sendheaders:
            sync.peerWantsHeaders(context.peer)
        case .sendcmpct(let request):
            // We do not build compact blocks; a `sendcmpct` peer gets `headers` announcements,
            // which the C++ node treats like a low-bandwidth compact peer's.
            lock.withLock { sessions[context.peer]?.compactVersion = request.version }
            sync.peerWantsHeaders(context.peer)
        case .getaddr:
            receivedGetaddr(context)
        case .addr(let entries):
            receivedAddresses(entries, context)
        case .getheaders(let request):
            sync.receivedGetHeaders(request, from: context.peer)
        case .headers(let headers):
            sync.receivedHeaders(headers, from: context.peer)
        case .inv(let items):
            sync.receivedInventory(items, from: context.peer)
        case .getdata(let items):
            receivedGetdata(items, context)
        case .block(let block):
            sync.receivedBlock(block, from: context.peer, payloadChecksum: payloadChecksum)
        case .tx, .mempool, .cmpctblock, .getblocktxn, .blocktxn:
            countIgnored("relay-only:\(message.command)")
        case .dna(let command, _):
            countIgnored("dna:\(command)")
        case .unknown(let command, _):
            countIgnored(Command.sizeWindows[command] != nil ? "unhandled:\(command)" : "unknown-command")
        case .version, .verack, .reject:
            break
        }
    }

    // MARK: Handshake actions

    func perform(_ actions: [HandshakeMachine.Action], _ context: HandlerContext) {
        for action in actions {
            switch action {
            case .sendVersion:
                send(.version(makeVersion(for: context)), context)
            case .sendVerack:
                send(.verack, context)
            case .sendReject(let reject):
                send(.reject(reject), context)
            case .ignore(let why):
                peerLogger.info("\(why)", metadata: ["peer": "\(context.peer.rawValue)"])
                countIgnored(why.replacingOccurrences(of: " ", with: "-"))
            case .disconnect(let failure):
                handshakeFailed(failure, context)
            case .established:
                handshakeCompleted(context)
            }
        }
    }

    func makeVersion(for context: HandlerContext) -> VersionMessage {
        let remote = context.remoteAddress
        let receiver = remote.flatMap { NetAddress(host: $0.host, port: $0.port) }
            ?? NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0)
        let port = manager.listeningAddresses.first?.port ?? 0
        let sender = configuration.externalIP.flatMap { NetAddress(host: $0, port: port) }
            ?? NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0)
        return VersionMessage(
            protocolVersion: parameters.protocolVersion, services: 1, timestamp: wallClock.now,
            receiver: receiver, sender: sender, nonce: localNonce, userAgent: configuration.userAgent,
            startHeight: Int32(clamping: chain.tip.height), relay: true, genesisHash: parameters.genesisHash)
    }

    func handshakeFailed(_ failure: HandshakeMachine.Failure, _ context: HandlerContext) {
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

    func handshakeCompleted(_ context: HandlerContext) {
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
        peerLogger.info("handshake complete", metadata: [
            "peer": "\(context.peer.rawValue)", "addr": "\(address)", "dir": "\(direction.rawValue)",
            "ua": "\(version.userAgent)", "height": "\(version.startHeight)", "ms": "\(Int(milliseconds))"])
        send(.sendheaders, context)
        addressesAfterHandshake(context, direction: direction, version: version, address: address)
        lock.withLock { dial.markSuccess(peer: context.peer) }
        sync.peerEstablished(context.peer, version: version, host: address.host)
    }

    // MARK: Helpers

    @discardableResult
    func send(_ message: Message, _ context: HandlerContext) -> Bool {
        context.send(command: message.command, payload: message.encodePayload())
    }

    @discardableResult
    func send(_ message: Message, to peer: PeerID) -> Bool {
        manager.send(command: message.command, payload: message.encodePayload(), to: peer)
    }

    func countIgnored(_ key: String) {
        lock.withLock { ignoredCounts[key, default: 0] += 1 }
    }

    func countMisbehaviour(_ key: String) {
        lock.withLock { misbehaviourCounts[key, default: 0] += 1 }
    }

    func isManualPeer(_ peer: PeerID) -> Bool {
        lock.withLock { sessions[peer]?.isManual ?? false }
    }

    /// True when `host` is the host of a `--connect`, `--addnode` or RPC `addnode` target (never
    /// banned automatically, even when not connected).
    func isManualHost(_ host: String) -> Bool {
        let manual = lock.withLock { dial.manualKeys } + configuration.connect + configuration.addNodes
        return manual.contains { NetAddressKey.parse($0, defaultPort: parameters.defaultPort)?.host == host }
    }

    /// Adds misbehaviour points with a logged reason; at 100 the address is banned (manual peers are
    /// never banned, only disconnected) and the peer disconnected.
    func penalize(_ context: HandlerContext, points: Int, reason: String, detail: String) {
        penalize(context.peer, points: points, reason: reason, detail: detail)
    }

    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        countMisbehaviour(reason)
        let (score, address, manual): (Int, SocketAddress?, Bool) = lock.withLock {
            guard let session = sessions[peer] else { return (0, nil, false) }
            session.misbehaviour += points
            return (session.misbehaviour, session.address, session.isManual)
        }
        peerLogger.info("misbehaviour", metadata: [
            "peer": "\(peer.rawValue)", "reason": "\(reason)", "points": "\(points)", "score": "\(score)",
            "detail": "\(detail)"])
        guard score >= 100, let address else { return }
        if !manual {
            bans.ban(address.host, duration: BanList.defaultDuration, reason: reason, now: wallClock.now)
        }
        manager.disconnect(peer, reason: .misbehaving)
    }

    func selectEvictionLocked(deliveredRecently: Set<PeerID>) -> PeerID? {
        let now = clock.now
        let candidates = sessions.values.filter { $0.direction == .inbound }.map { session in
            EvictionPolicy.Candidate(
                id: session.id.rawValue,
                connectedSeconds: Double(now.duration(since: session.connectedAt).engineNanoseconds) / 1e9,
                pingSeconds: session.lastPingRTT.map { Double($0.engineNanoseconds) / 1e9 },
                isManual: session.isManual, misbehaviour: session.misbehaviour,
                deliveredBlocksRecently: deliveredRecently.contains(session.id))
        }
        return EvictionPolicy.select(candidates).map { PeerID(rawValue: $0) }
    }
}

extension Duration {
    /// Whole nanoseconds (durations here are never negative or beyond Int64).
    var engineNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
