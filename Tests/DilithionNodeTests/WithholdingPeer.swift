import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

/// A peer that has a chain's headers but withholds its blocks: it handshakes with the chain's
/// height, answers `getheaders` from `headers` (heights 1… in order) and `ping` with `pong`, and sits
/// on every block it is asked for: the staller of the IBD tests. It connects to the node under test
/// (an inbound peer there) and counts what it was asked.
final class WithholdingPeer: @unchecked Sendable {
    private let raw: FakePeer
    private let headers: [BlockHeader]
    private let heightByHash: [Hash256: Int]
    private let lock = NSLock()
    private var requested = 0
    private var closed = false
    private var stopping = false

    init(port: UInt16, headers: [BlockHeader]) throws {
        self.headers = headers
        var heights = [Hash256: Int]()
        for (index, header) in headers.enumerated() { heights[try header.hash()] = index + 1 }
        heightByHash = heights
        let startHeight = Int32(headers.count)
        raw = try FakePeer(port: port)
        let version = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: Int64(Date().timeIntervalSince1970),
            receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: port),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: UInt64.random(in: 1...UInt64.max),
            userAgent: "/withholder:1/", startHeight: startHeight, relay: true,
            genesisHash: Network.regtest.parameters.genesisHash)
        raw.send(.version(version))
        let replies = raw.receive(for: 10) { frames in frames.contains { $0.command == "verack" } }
        guard replies.frames.contains(where: { $0.command == "verack" }) else { throw POSIXError(.EPROTO) }
        raw.send(.verack)
        handle(replies.frames)
        Thread.detachNewThread { [self] in serve() }
    }

    /// Blocks the node asked this peer for.
    var blocksRequested: Int { lock.withLock { requested } }
    /// Whether the node closed the connection.
    var wasDisconnected: Bool { lock.withLock { closed } }

    func stop() { lock.withLock { stopping = true } }

    private func serve() {
        while !lock.withLock({ stopping }) {
            let result = raw.receive(for: 0.2)
            handle(result.frames)
            if result.closed {
                lock.withLock { closed = true }
                return
            }
        }
    }

    private func handle(_ frames: [Frame]) {
        for frame in frames {
            switch try? Message.decode(frame) {
            case .getheaders(let request):
                // Headers after the first locator entry we know (genesis and unknown ones: from 1).
                let start = request.locator.lazy.compactMap { self.heightByHash[$0] }.first ?? 0
                raw.send(.headers(Array(headers[start..<min(headers.count, start + Limits.maxHeaders)])))
            case .ping(let nonce): raw.send(.pong(nonce: nonce))
            case .getdata(let items): lock.withLock { requested += items.filter { $0.kind == .block }.count }
            default: break
            }
        }
    }
}
