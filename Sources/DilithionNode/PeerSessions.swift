import DilithionNet
import DilithionSystem
import DilithionWire

/// The peer protocol's registry of ``PeerSession``s and the recent handshake durations, with the
/// few compound updates that must happen in one lock hold (admission with its slot counts and
/// eviction choice, the keepalive tick, a pong, the pre-handshake count). The protocol's
/// decisions, sends and events stay in ``PeerProtocol``, which calls these with no lock held.
///
/// Threads: the dispatcher (handlers), the dialer (outbound counts), RPC (snapshots).
/// Ownership: `lock` guards `sessions`, every ``PeerSession`` in it and `handshakeDurations`.
/// Nothing is called with it held but the bodies given to ``with(_:_:)``, which only touch the
/// session. Lock order: the dialer's lock → this lock (the dialer counts outbound sessions).
final class PeerSessions: @unchecked Sendable {
    let lock = PThreadMutex()
    // guarded by lock
    private var sessions: [PeerID: PeerSession] = [:]
    /// Recent handshake durations in seconds (the last ``keptHandshakeDurations``), a ring once
    /// full: its order does not matter (the metrics bucket them), and a ring costs no shift of the
    /// whole array per handshake.
    private var handshakeDurations: [Double] = []
    // guarded by lock: where the next duration goes once the ring is full
    private var nextHandshakeDuration = 0
    static let keptHandshakeDurations = 1_000

    /// Runs `body` on the peer's session under the lock; nil when the peer has no session.
    func with<T>(_ peer: PeerID, _ body: (PeerSession) -> T) -> T? {
        lock.withLock { sessions[peer].map(body) }
    }

    /// Adds `session` if the inbound slots allow it: at most `maxPerHost` inbound peers from one
    /// host, and at most `maxInbound` inbound peers, over which one inbound peer is chosen for
    /// eviction (``EvictionPolicy``; none protected: refused). Returns whether it was added and
    /// the peer to evict.
    func admit(
        _ session: PeerSession, maxInbound: Int, maxPerHost: Int, deliveredRecently: Set<PeerID>, now: EngineInstant
    ) -> (admitted: Bool, evict: PeerID?) {
        lock.withLock {
            var evict: PeerID?
            if session.direction == .inbound {
                // One pass, no arrays: this runs for every inbound connection.
                var inbound = 0, fromHost = 0
                for other in sessions.values where other.direction == .inbound {
                    inbound += 1
                    if other.address.host == session.address.host { fromHost += 1 }
                }
                if fromHost >= maxPerHost { return (false, nil) }
                if inbound >= maxInbound {
                    evict = selectEvictionLocked(deliveredRecently: deliveredRecently, now: now)
                    if evict == nil { return (false, nil) }
                }
            }
            sessions[session.id] = session
            return (true, evict)
        }
    }

    /// Removes the peer's session and returns it.
    func remove(_ peer: PeerID) -> PeerSession? {
        lock.withLock { sessions.removeValue(forKey: peer) }
    }

    /// Marks the handshake complete at `now` and records its duration; returns what the protocol
    /// needs of the session, copied.
    func establish(
        _ peer: PeerID, now: EngineInstant
    ) -> (direction: PeerDirection, version: VersionMessage?, address: SocketAddress, milliseconds: Double)? {
        lock.withLock {
            guard let session = sessions[peer] else { return nil }
            session.establishedAt = now
            let milliseconds = Double(now.duration(since: session.connectedAt).engineNanoseconds) / 1e6
            if handshakeDurations.count < Self.keptHandshakeDurations {
                handshakeDurations.append(milliseconds / 1000)
            } else {
                handshakeDurations[nextHandshakeDuration] = milliseconds / 1000
                nextHandshakeDuration = (nextHandshakeDuration + 1) % Self.keptHandshakeDurations
            }
            return (session.direction, session.version, session.address, milliseconds)
        }
    }

    /// The keepalive tick of an established peer: whether its pong is overdue, or the nonce of a
    /// ping to send now (one is due every ping interval, or after that long without a message).
    /// Misbehaviour decays by 1 point per tick while no ping is outstanding (C++: 1 per 30 s).
    func keepaliveTick(
        _ peer: PeerID, now: EngineInstant, lastReceive: EngineInstant, timeouts: PeerTimeouts
    ) -> (pongOverdue: Bool, ping: UInt64?) {
        lock.withLock {
            guard let session = sessions[peer], session.isEstablished else { return (false, nil) }
            if let sentAt = session.pingSentAt {
                return (now.duration(since: sentAt) >= timeouts.pongTimeout, nil)
            }
            var ping: UInt64?
            let due = session.lastPingSentAt.map { now.duration(since: $0) >= timeouts.pingInterval }
                ?? (now.duration(since: session.establishedAt ?? session.connectedAt) >= timeouts.pingInterval)
            if due || now.duration(since: lastReceive) >= timeouts.pingInterval {
                let nonce = UInt64.random(in: 1...UInt64.max)
                session.pingNonce = nonce
                session.pingSentAt = now
                session.lastPingSentAt = now
                ping = nonce
            }
            if session.misbehaviour > 0 { session.misbehaviour -= 1 }
            return (false, ping)
        }
    }

    /// A pong: the round-trip time when it answers the ping outstanding.
    func receivedPong(_ peer: PeerID, nonce: UInt64, now: EngineInstant) {
        lock.withLock {
            guard let session = sessions[peer], session.pingNonce == nonce, let sentAt = session.pingSentAt else { return }
            session.lastPingRTT = now.duration(since: sentAt)
            session.pingNonce = nil
            session.pingSentAt = nil
        }
    }

    /// Whether the peer completed its handshake; if not, counts one more message ignored before
    /// it and returns that count.
    func notePreHandshakeMessage(_ peer: PeerID) -> (established: Bool, ignored: Int) {
        lock.withLock {
            guard let session = sessions[peer] else { return (false, 0) }
            if session.isEstablished { return (true, 0) }
            session.preHandshakeIgnored += 1
            return (false, session.preHandshakeIgnored)
        }
    }

    /// The ids of every session, or of the outbound ones.
    func ids(outboundOnly: Bool = false) -> [PeerID] {
        lock.withLock { sessions.values.filter { !outboundOnly || $0.direction == .outbound }.map(\.id) }
    }

    /// The established outbound sessions' ids and addresses.
    func establishedOutbound() -> [(id: PeerID, address: SocketAddress)] {
        lock.withLock {
            sessions.values.filter { $0.direction == .outbound && $0.isEstablished }.map { ($0.id, $0.address) }
        }
    }

    /// Every session's state, by peer (`addressFetches`: the peers the dialer connected as address fetches).
    func snapshots(addressFetches: Set<PeerID>) -> [PeerID: PeerSessionSnapshot] {
        lock.withLock {
            sessions.mapValues { session in
                PeerSessionSnapshot(
                    isManual: session.isManual, version: session.version, isEstablished: session.isEstablished,
                    handshakeMilliseconds: session.establishedAt.map {
                        Double($0.duration(since: session.connectedAt).engineNanoseconds) / 1e6
                    },
                    lastPingRTT: session.lastPingRTT, pingSentAt: session.pingSentAt,
                    misbehaviour: session.misbehaviour, isAddressFetch: addressFetches.contains(session.id))
            }
        }
    }

    /// The number of inbound sessions (``admit(_:maxInbound:maxPerHost:deliveredRecently:now:)``
    /// evicts one when it reaches `maxInbound`).
    var inboundCount: Int {
        lock.withLock { sessions.values.reduce(0) { $0 + ($1.direction == .inbound ? 1 : 0) } }
    }

    /// The handshake durations and the number of established sessions, copied.
    func counts() -> (handshakeSeconds: [Double], established: Int) {
        lock.withLock { (handshakeDurations, sessions.values.filter(\.isEstablished).count) }
    }

    /// The inbound peer to evict for a new one, or nil if every candidate is protected. Caller holds `lock`.
    private func selectEvictionLocked(deliveredRecently: Set<PeerID>, now: EngineInstant) -> PeerID? {
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
