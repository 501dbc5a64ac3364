import DilithionNet
import DilithionNode
import DilithionReactor
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

    /// Waits (bounded) for a condition; never asserts on how long it took.
    @discardableResult
    static func wait(_ what: String, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line,
                     _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        XCTFail("timed out waiting for \(what)", file: file, line: line)
        return false
    }
}

/// A raw TCP client on loopback that speaks frames by hand (the pre-handshake leak test).
final class RawPeer {
    let descriptor: Int32
    var decoder: FrameDecoder
    let magic: NetworkMagic

    init(port: UInt16, network: Network = .regtest) throws {
        magic = network.magic
        decoder = FrameDecoder(magic: magic)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ message: Message) {
        let bytes = FrameEncoder.encode(message, magic: magic)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads frames for up to `seconds`; returns them and whether the peer closed the connection.
    func receive(for seconds: Double, until stop: ([Frame]) -> Bool = { _ in false }) -> (frames: [Frame], closed: Bool) {
        var frames = [Frame]()
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (frames, true) }
            if count < 0 { if stop(frames) { break } else { continue } }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            while let frame = try? decoder.nextFrame() { frames.append(frame) }
            if stop(frames) { break }
        }
        return (frames, false)
    }
}
