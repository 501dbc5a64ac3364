import DilithionNet
import DilithionSystem
import DilithionWire

/// Records what the handlers saw, and lets the test wait for a condition on it (condition variable,
/// bounded wait).
final class Recorder: @unchecked Sendable {
    struct Message {
        let peer: PeerID
        let frame: Frame
    }

    private let lock = PThreadMutex()
    private let changed = ConditionVariable()
    private var _messages: [Message] = []
    private var _connects: [(PeerID, PeerDirection)] = []
    private var _disconnects: [(PeerID, DisconnectReason)] = []

    var messages: [Message] { lock.withLock { _messages } }
    var connects: [(PeerID, PeerDirection)] { lock.withLock { _connects } }
    var disconnects: [(PeerID, DisconnectReason)] { lock.withLock { _disconnects } }

    func messages(from peer: PeerID) -> [Frame] {
        lock.withLock { _messages.filter { $0.peer == peer }.map(\.frame) }
    }

    func record(_ peer: PeerID, _ frame: Frame) {
        lock.withLock {
            _messages.append(Message(peer: peer, frame: frame))
            changed.broadcast()
        }
    }

    func recordConnect(_ peer: PeerID, _ direction: PeerDirection) {
        lock.withLock {
            _connects.append((peer, direction))
            changed.broadcast()
        }
    }

    func recordDisconnect(_ peer: PeerID, _ reason: DisconnectReason) {
        lock.withLock {
            _disconnects.append((peer, reason))
            changed.broadcast()
        }
    }

    /// Waits (at most `timeout` seconds) until `predicate` holds; returns whether it did.
    func wait(timeout: Double = 30, _ predicate: (Recorder.State) -> Bool) -> Bool {
        let deadline = MonotonicClock.nanoseconds(afterSeconds: timeout)
        return lock.withLock {
            while !predicate(State(messages: _messages, connects: _connects, disconnects: _disconnects)) {
                if MonotonicClock.nanoseconds() >= deadline { return false }
                changed.wait(lock, untilMonotonicNanoseconds: deadline)
            }
            return true
        }
    }

    struct State {
        let messages: [Message]
        let connects: [(PeerID, PeerDirection)]
        let disconnects: [(PeerID, DisconnectReason)]
    }

    /// Handlers that record every message, connect and disconnect.
    func handlers(_ configure: (inout MessageHandlers) -> Void = { _ in }) -> MessageHandlers {
        var handlers = MessageHandlers()
        handlers.onConnect = { [self] context, direction in recordConnect(context.peer, direction) }
        handlers.onDisconnect = { [self] peer, reason in recordDisconnect(peer, reason) }
        handlers.onUnhandled = { [self] context, frame in record(context.peer, frame) }
        configure(&handlers)
        return handlers
    }
}
