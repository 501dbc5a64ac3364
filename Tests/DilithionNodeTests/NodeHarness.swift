import DilithionNet
import DilithionNode
import DilithionSystem
import DilithionTestKit
import DilithionWire
import Foundation
import Logging
import XCTest

/// Starts regtest nodes on 127.0.0.1 with a kernel-chosen port and a temporary data directory.
final class NodeHarness {
    private(set) var nodes: [Node] = []
    private var directories: [String] = []

    func makeNode(
        connect: [String] = [], clock: (any EngineClock)? = nil, configure: (inout NodeConfiguration) -> Void = { _ in }
    ) throws -> Node {
        let directory = NSTemporaryDirectory() + "dilithion-node-\(UUID().uuidString)"
        directories.append(directory)
        var configuration = NodeConfiguration(network: .regtest, dataDirectory: directory)
        configuration.listen = ["127.0.0.1:0"]
        configuration.connect = connect
        configuration.maxInboundPerIP = 64
        configure(&configuration)
        var logger = Logger(label: "test.node")
        logger.logLevel = ProcessInfo.processInfo.environment["DILITHION_TEST_LOG"] == nil ? .critical : .debug
        let node = try Node(configuration: configuration, logger: logger, clock: clock ?? SystemClock())
        try node.start()
        nodes.append(node)
        return node
    }

    func port(of node: Node) -> UInt16 { node.listeningAddresses.first!.port }

    func shutdown() {
        for node in nodes { node.stop() }
        nodes.removeAll()
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
        directories.removeAll()
    }

    /// Waits (bounded, on the monotonic clock) for a condition; never asserts on how long it took.
    @discardableResult
    static func wait(_ what: String, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line,
                     _ condition: () -> Bool) -> Bool {
        if eventually(timeout: timeout, condition) { return true }
        XCTFail("timed out waiting for \(what)", file: file, line: line)
        return false
    }
}
