import DilithionNode
import DilithionTestKit
import DilithionWire
import XCTest

/// A second, established peer whose ping round trip orders a test's checks after the node's
/// dispatcher. The engine runs every deadline that is due before it hands out the messages of a
/// pass, so when the pong of a ping sent *after* a clock change comes back, everything the node
/// decides at the new clock time (a tick, a timeout, a ping of its own) has been decided, and any
/// frame it queued before the pong has been handed to the socket first.
///
/// Negative checks ("no ping yet", "still connected") made after ``pass()`` see the node's
/// decision instead of racing it; positive checks still wait (bounded) for what the decision sends.
final class DispatcherBarrier {
    private let peer: FakePeer
    private var nonce: UInt64 = 0xBA44_1E40_0000_0000

    /// Connects and completes the handshake with the node listening on `port`.
    init(port: UInt16) throws {
        peer = try FakePeer(port: port)
        // Pings the node sends are answered during passes; frequent passes keep this peer from
        // ever being silent long enough to be pinged.
        peer.answersPings = true
        guard peer.handshake().isComplete else { throw HandshakeFailed() }
    }

    /// Sends a ping and waits (bounded) for its pong.
    @discardableResult
    func pass(file: StaticString = #filePath, line: UInt = #line) -> Bool {
        nonce += 1
        let expected = nonce
        peer.sendPing(nonce: expected)
        let reception = peer.receive(for: 30) { frames in frames.contains { Self.isPong($0, nonce: expected) } }
        guard reception.frames.contains(where: { Self.isPong($0, nonce: expected) }) else {
            XCTFail("no pong for barrier ping \(expected)", file: file, line: line)
            return false
        }
        return true
    }

    /// Disconnects the barrier peer.
    func close() { peer.close() }

    struct HandshakeFailed: Error {}

    private static func isPong(_ frame: Frame, nonce: UInt64) -> Bool {
        guard frame.command == Command.pong, case .pong(let value)? = try? Message.decode(frame) else { return false }
        return value == nonce
    }
}
