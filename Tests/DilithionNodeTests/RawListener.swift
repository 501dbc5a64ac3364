import DilithionTestKit
import DilithionWire
import Foundation

/// A one-connection listener on 127.0.0.1 (the test kit's ``FakePeerListener``) that answers the
/// node's `version` with a `version` of its own choosing and a `verack`, then reads until the node
/// closes: an outbound peer the test controls.
final class RawListener: @unchecked Sendable {
    let port: UInt16
    private let listener: FakePeerListener
    private let lock = NSLock()
    private var closedByNode = false

    init(answering version: VersionMessage, network: Network = .regtest) throws {
        listener = try FakePeerListener(network: network)
        port = listener.port
        Thread.detachNewThread { [self] in serve(version) }
    }

    /// Whether the node closed the connection after the exchange.
    var wasClosedByNode: Bool { lock.withLock { closedByNode } }

    private func serve(_ version: VersionMessage) {
        guard let peer = try? listener.accept(timeout: 60) else { return }
        var answered = false
        while !peer.isClosedByRemote {
            let frames = peer.receive(for: 1).frames
            if !answered, frames.contains(where: { $0.command == Command.version }) {
                answered = true
                peer.send(.version(version))
                peer.send(.verack)
            }
        }
        lock.withLock { closedByNode = true }
    }
}
