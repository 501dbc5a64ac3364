import DilithionReactor
import DilithionSystem
import DilithionWire

/// The one reason attached to every disconnect. The raw value is the stable text used in the log
/// line (`disconnect peer=N reason=<raw value>`) and as the counter key; tests assert on it.
public enum DisconnectReason: String, Sendable, Hashable, CaseIterable {
    /// The frame did not start with this network's magic.
    case badMagic = "bad-magic"
    /// A frame's checksum did not match (the decoder drops such frames; the peer layer may disconnect).
    case badChecksum = "bad-checksum"
    /// A frame header claimed a payload over the limit.
    case oversize = "oversize"
    /// A frame header carried a malformed command field.
    case badCommand = "bad-command"
    /// The remote end closed the connection.
    case peerClosed = "peer-closed"
    /// Reading failed (e.g. connection reset).
    case readError = "read-error"
    /// Writing failed (e.g. broken pipe).
    case writeError = "write-error"
    /// The outbox stayed over the send cap past the deadline (the peer does not read).
    case sendBufferFull = "send-buffer-full"
    /// Part of a frame sat in the decoder past the deadline (a peer trickling bytes).
    case partialFrameTimeout = "partial-frame-timeout"
    /// The outbound connect failed (refused, unreachable).
    case connectFailed = "connect-failed"
    /// The outbound connect did not finish before the deadline.
    case connectTimeout = "connect-timeout"
    /// The handshake did not complete in time (peer-protocol layer).
    case handshakeTimeout = "handshake-timeout"
    /// A ping was not answered in time (peer-protocol layer).
    case pingTimeout = "ping-timeout"
    /// The peer broke the protocol (peer-protocol layer).
    case protocolViolation = "protocol-violation"
    /// The peer's misbehaviour score reached the ban threshold (peer-protocol layer).
    case misbehaving = "misbehaving"
    /// The peer's address is banned (refused right after accept).
    case banned = "banned"
    /// The peer is on another chain: its `version` carried a different genesis hash.
    case wrongGenesis = "wrong-genesis"
    /// The peer's protocol version is below our minimum.
    case obsoleteVersion = "obsolete-version"
    /// We connected to ourselves (the peer echoed our `version` nonce).
    case selfConnection = "self-connection"
    /// A peer we dialled does not offer `NODE_NETWORK` (it cannot serve blocks).
    case missingServices = "missing-services"
    /// No slot for the peer: too many connections overall, inbound, or from its address.
    case noSlot = "no-slot"
    /// Evicted to make room for a new inbound peer.
    case evicted = "evicted"
    /// The peer held blocks we asked for past the stall deadline.
    case stalling = "stalling"
    /// Nothing was received from the peer for the inactivity period.
    case inactivity = "inactivity"
    /// Someone on this node asked for the disconnect (RPC, tests).
    case localRequest = "local-request"
    /// The node is shutting down.
    case shutdown = "shutdown"

    /// The reason for a close the reactor reported when no reason had been chosen before.
    init(_ failure: ConnectionFailure) {
        switch failure {
        case .peerClosed: self = .peerClosed
        case .readFailed: self = .readError
        case .writeFailed: self = .writeError
        case .connectFailed: self = .connectFailed
        case .localRequest: self = .localRequest
        case .frame(let error):
            switch error.kind {
            case .badMagic: self = .badMagic
            case .badCommand: self = .badCommand
            case .oversize: self = .oversize
            case .badChecksum: self = .badChecksum
            }
        }
    }
}
