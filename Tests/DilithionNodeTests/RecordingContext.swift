import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire

/// A ``HandlerContext`` with no engine behind it: it records what a handler sent, whom it
/// disconnected and which timers it set, so peer-protocol handlers run in a unit test without
/// sockets or threads.
final class RecordingContext: HandlerContext, @unchecked Sendable {
    let peer: PeerID
    let clock: ManualClock
    let remoteAddress: SocketAddress?

    private let lock = PThreadMutex()
    // guarded by lock
    private var sentFrames: [Frame] = []
    private var disconnectReasons: [DisconnectReason] = []
    private var timerTags: [UInt64] = []

    init(peer: PeerID, clock: ManualClock, remoteAddress: SocketAddress) {
        self.peer = peer
        self.clock = clock
        self.remoteAddress = remoteAddress
    }

    /// The messages sent to the current peer, in order.
    var sent: [Frame] { lock.withLock { sentFrames } }
    /// The commands of ``sent``.
    var sentCommands: [String] { sent.map(\.command) }
    /// The reasons the current peer was disconnected with.
    var disconnects: [DisconnectReason] { lock.withLock { disconnectReasons } }
    /// The tags of the timers set for the current peer.
    var timers: [UInt64] { lock.withLock { timerTags } }

    func send(command: String, payload: [UInt8]) -> Bool {
        lock.withLock { sentFrames.append(Frame(command: command, payload: payload)) }
        return true
    }

    func send(command: String, payloadOf frame: Frame) -> Bool {
        send(command: command, payload: frame.withUnsafePayload { Array($0) })
    }

    func send(command: String, payload: [UInt8], to other: PeerID) -> Bool {
        other == peer ? send(command: command, payload: payload) : false
    }

    func send(_ frame: Frame, to other: PeerID) -> Bool {
        other == peer ? send(command: frame.command, payloadOf: frame) : false
    }

    func disconnect(reason: DisconnectReason) {
        lock.withLock { disconnectReasons.append(reason) }
    }

    func disconnect(_ other: PeerID, reason: DisconnectReason) {
        if other == peer { disconnect(reason: reason) }
    }

    func scheduleTimer(after delay: Duration, tag: UInt64) {
        lock.withLock { timerTags.append(tag) }
    }

    var now: EngineInstant { clock.now }

    var statistics: PeerStatistics? { nil }
}
