import DilithionWire

/// The `version`/`verack` handshake of one connection as a pure state machine: events in, actions
/// out, no sockets and no clock. The handshake is complete when both sides have sent and received
/// `version` and `verack`, whatever the order in which they arrive.
///
/// ```
/// outbound: connected ──send version──▶ awaiting ─(version ok: send verack)─┐
/// inbound:  connected ──(version ok: send version + verack)──────────────────┤
///                                  verack received (before or after) ────────┴─▶ established
/// ```
/// A bad `version` (wrong genesis, obsolete protocol, our own nonce, or, from a peer we dialled,
/// no `NODE_NETWORK` service bit) ends it with a reason.
public struct HandshakeMachine: Sendable {
    public enum Action: Equatable, Sendable {
        case sendVersion
        case sendVerack
        case sendReject(RejectMessage)
        /// The handshake just completed.
        case established
        /// Ignore the message (logged and counted by the caller).
        case ignore(String)
        case disconnect(Failure)
    }

    public enum Failure: String, Sendable, Equatable {
        case wrongGenesis = "wrong-genesis"
        case obsoleteVersion = "obsolete-version"
        case selfConnection = "self-connection"
        case missingServices = "missing-services"
    }

    /// `NODE_NETWORK`: the peer serves the full block chain (PROTOCOL.md: C++ nodes always set it).
    public static let nodeNetwork: UInt64 = 1

    public let isOutbound: Bool
    public private(set) var sentVersion = false
    public private(set) var receivedVersion: VersionMessage?
    public private(set) var receivedVerack = false
    public private(set) var isEstablished = false

    let genesisHash: Hash256
    let minimumProtocolVersion: Int32
    let localNonce: UInt64

    public init(isOutbound: Bool, genesisHash: Hash256, minimumProtocolVersion: Int32, localNonce: UInt64) {
        self.isOutbound = isOutbound
        self.genesisHash = genesisHash
        self.minimumProtocolVersion = minimumProtocolVersion
        self.localNonce = localNonce
    }

    /// The TCP connection is up: an outbound peer gets our `version` at once; an inbound peer must
    /// speak first.
    public mutating func connected() -> [Action] {
        guard isOutbound, !sentVersion else { return [] }
        sentVersion = true
        return [.sendVersion]
    }

    public mutating func received(version: VersionMessage) -> [Action] {
        if receivedVersion != nil { return [.ignore("redundant version")] }
        if version.genesisHash != genesisHash {
            return [.sendReject(.genesisMismatch), .disconnect(.wrongGenesis)]
        }
        if version.protocolVersion < minimumProtocolVersion {
            return [
                .sendReject(RejectMessage(
                    rejectedCommand: Command.version, code: .obsolete,
                    reason: "Obsolete protocol version \(version.protocolVersion) (minimum \(minimumProtocolVersion))")),
                .disconnect(.obsoleteVersion),
            ]
        }
        if version.nonce == localNonce { return [.disconnect(.selfConnection)] }
        // A peer we chose to dial is there to serve blocks; one that cannot is a wasted outbound
        // slot (Bitcoin Core drops such peers too). Inbound peers may be anything.
        if isOutbound && version.services & Self.nodeNetwork == 0 { return [.disconnect(.missingServices)] }
        receivedVersion = version
        var actions = [Action]()
        if !sentVersion {
            sentVersion = true
            actions.append(.sendVersion)
        }
        actions.append(.sendVerack)
        if receivedVerack { actions += establish() }
        return actions
    }

    public mutating func receivedVerackMessage() -> [Action] {
        if receivedVerack { return [.ignore("redundant verack")] }
        receivedVerack = true
        // A verack may overtake the version it answers (different TCP segments, any RTT): remember
        // it and complete when the version arrives.
        return receivedVersion != nil && sentVersion ? establish() : []
    }

    private mutating func establish() -> [Action] {
        guard !isEstablished else { return [] }
        isEstablished = true
        return [.established]
    }
}
