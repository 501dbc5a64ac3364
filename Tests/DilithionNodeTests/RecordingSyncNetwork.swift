import DilithionNet
import DilithionWire
import Foundation

@testable import DilithionNode

/// A ``SyncNetwork`` with no sockets: records what the coordinator sends and does to peers.
final class RecordingSyncNetwork: SyncNetwork, @unchecked Sendable {
    struct Penalty: Equatable {
        let peer: PeerID
        let points: Int
        let reason: String
    }

    private let lock = NSLock()
    private var sentMessages: [(PeerID, Message)] = []
    private var disconnects: [(PeerID, DisconnectReason)] = []
    private var penaltyList: [Penalty] = []
    private var banList: [String] = []
    private var ignored: [String: Int] = [:]

    func send(_ message: Message, to peer: PeerID) { lock.withLock { sentMessages.append((peer, message)) } }
    /// Records the frame as a peer receives it: its bytes framed by a ``FrameDecoder`` (header and
    /// checksum verified), then decoded. A frame of no known network, one that does not frame as
    /// exactly one message, or one that does not decode is a defect of the sender.
    func send(_ frame: EncodedFrame, to peer: PeerID) {
        precondition(Network.allCases.contains { $0.magic == frame.magic }, "a frame of no known network")
        var decoder = FrameDecoder(magic: frame.magic)
        decoder.append(frame.bytes)
        guard let received = try? decoder.nextFrame(), !decoder.hasPartialFrame else { preconditionFailure("a bad \(frame.command) frame") }
        guard let message = try? Message.decode(received) else { preconditionFailure("undecodable \(frame.command)") }
        send(message, to: peer)
    }
    func disconnect(_ peer: PeerID, reason: DisconnectReason) { lock.withLock { disconnects.append((peer, reason)) } }
    func penalize(_ peer: PeerID, points: Int, reason: String, detail: String) {
        lock.withLock { penaltyList.append(Penalty(peer: peer, points: points, reason: reason)) }
    }
    func ban(host: String, reason: String) { lock.withLock { banList.append(host) } }
    func countIgnored(_ reason: String) { lock.withLock { ignored[reason, default: 0] += 1 } }
    func isOverSendCap(_ peer: PeerID) -> Bool { false }

    private let woken = NSCondition()
    private var wakeCount = 0  // guarded by woken

    func wakeDispatcher(for peer: PeerID) {
        woken.withLock {
            wakeCount += 1
            woken.broadcast()
        }
    }

    /// Waits until the coordinator asked for the dispatcher `count` times in all (a minute at most:
    /// a hang guard, not a timing); returns whether it did.
    func waitForWakes(_ count: Int) -> Bool {
        let deadline = Date(timeIntervalSinceNow: 60)
        return woken.withLock {
            while wakeCount < count, woken.wait(until: deadline) {}
            return wakeCount >= count
        }
    }

    /// Removes and returns everything sent so far.
    func takeSent() -> [(peer: PeerID, message: Message)] {
        lock.withLock {
            defer { sentMessages.removeAll() }
            return sentMessages.map { (peer: $0.0, message: $0.1) }
        }
    }

    var disconnected: [(peer: PeerID, reason: DisconnectReason)] { lock.withLock { disconnects.map { (peer: $0.0, reason: $0.1) } } }
    var penalties: [Penalty] { lock.withLock { penaltyList } }
    var bans: [String] { lock.withLock { banList } }
    func ignoredCount(_ reason: String) -> Int { lock.withLock { ignored[reason] ?? 0 } }
}

extension [(peer: PeerID, message: Message)] {
    /// The block hashes asked of `peer` with `getdata`.
    func blocksRequested(of peer: PeerID) -> [Hash256] {
        flatMap { entry -> [Hash256] in
            guard entry.peer == peer, case .getdata(let items) = entry.message else { return [] }
            return items.map(\.hash)
        }
    }

    /// The `getheaders` sent to `peer`.
    func headerRequests(to peer: PeerID) -> [GetHeadersMessage] {
        compactMap { entry in
            guard entry.peer == peer, case .getheaders(let request) = entry.message else { return nil }
            return request
        }
    }

    /// The `headers` messages sent to `peer`.
    func headerMessages(to peer: PeerID) -> [[BlockHeader]] {
        compactMap { entry in
            guard entry.peer == peer, case .headers(let headers) = entry.message else { return nil }
            return headers
        }
    }
}
