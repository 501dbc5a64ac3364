import DilithionNet
import DilithionNode
import DilithionTestKit
import DilithionWire
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The dispatcher-level fuzz oracle (the shape of Bitcoin Core's `process_message`): one regtest
/// ``Node`` on a ``ManualClock``, listening on 127.0.0.1, built once per process; each input is a
/// script of operations that a raw loopback peer performs against it. The frames travel through the
/// real reactor, decoder and dispatcher over a loopback TCP connection, so the fuzzer covers the
/// engine's framing and batching as well as the handlers (unit tests call the handlers directly
/// through a fake ``HandlerContext``: `PeerProtocolHandlerTests`).
///
/// Input format, consumed front to back (a short read ends the script):
/// - `0x00..0x9F`: a well-formed frame: command = `commands[op % commands.count]`, then a 2-byte
///   little-endian length and that many payload bytes (checksum computed, so handlers are reached);
/// - `0xA0..0xBF`: the manual clock moves `(next byte) * 2` seconds (handshake, ping and stall
///   deadlines fire during the script);
/// - `0xC0..0xDF`: raw bytes: a 2-byte little-endian length and that many bytes, sent as they are
///   (whole frames from Tests/Fixtures/vectors seed the corpus this way, with the regtest magic);
/// - `0xE0..0xEF`: the connection is closed and a new one opened (state of a previous peer
///   must be freed);
/// - `0xF0..0xFF`: a valid `version`, then `verack` (a fresh handshake on this connection).
///
/// Checked per input: the node does not trap (ASan aborts the process otherwise); after the script
/// the connection either is closed by the node or, after a handshake, answers a `ping` with `pong`;
/// and once every connection of the input is closed the node's peer table drains to empty (no
/// peer state outlives its connection). Bans are cleared before each input and the node holds a
/// 20-block chain, so serving paths are reachable. The node never dials anywhere: `connect` is a single dead
/// loopback address, which also keeps it from dialing addresses learned from fuzzed `addr`s.
/// The node's data directory; removed at exit (libFuzzer ends with `exit`), kept after a crash.
let nodeFuzzDirectory = NSTemporaryDirectory() + "dilithion-nodefuzz-\(getpid())"

final class NodeFuzzHarness: @unchecked Sendable {
    static let shared = NodeFuzzHarness()

    /// Commands an op byte picks from: every known command plus two unknown ones.
    static let commands: [String] = Command.sizeWindows.keys.sorted() + ["unknowncmd", "getblocks"]

    let clock = ManualClock()
    let node: Node
    let port: UInt16
    let magic = Network.regtest.magic
    let directory: String
    private var nonce: UInt64 = 1

    private init() {
        directory = nodeFuzzDirectory
        try? FileManager.default.removeItem(atPath: directory)
        atexit { try? FileManager.default.removeItem(atPath: nodeFuzzDirectory) }
        var configuration = NodeConfiguration(network: .regtest, dataDirectory: directory)
        configuration.listen = ["127.0.0.1:0"]
        configuration.connect = ["127.0.0.1:1"]
        configuration.maxInboundPerIP = 1000
        let level: Logger.Level = ProcessInfo.processInfo.environment["DILITHION_FUZZ_LOG"] == nil ? .critical : .debug
        func quiet(_ label: String) -> Logger {
            var logger = Logger(label: label)
            logger.logLevel = level
            return logger
        }
        do {
            node = try Node(configuration: configuration, logger: quiet("nodefuzz"), clock: clock,
                            categoryLogger: { quiet("nodefuzz.\($0)") })
            try node.start()
        } catch {
            fatalError("NodeFuzz: cannot start the node: \(error)")
        }
        port = node.listeningAddresses.first!.port
        // A short chain, so that getheaders, getdata and locators reach the serving paths.
        _ = try? node.generate(blocks: 20, blockSize: 500)
    }

    /// Runs one input.
    func run(_ data: UnsafeRawBufferPointer) {
        // Misbehaviour in an earlier input may have banned 127.0.0.1; every input starts unbanned.
        node.clearBanned()
        var reader = data[...]
        var connection = FuzzConnection(port: port)
        var opened = 1
        while let op = reader.popFirst() {
            switch op {
            case 0x00...0x9F:
                guard reader.count >= 2 else { break }
                let length = Int(reader.popFirst()!) | Int(reader.popFirst()!) << 8
                let payload = Array(reader.prefix(length))
                reader = reader.dropFirst(payload.count)
                let command = Self.commands[Int(op) % Self.commands.count]
                connection.send(FrameEncoder.encode(magic: magic, command: command, payload: payload))
            case 0xA0...0xBF:
                guard let seconds = reader.popFirst() else { break }
                clock.advance(by: .seconds(Int(seconds) * 2))
            case 0xC0...0xDF:
                guard reader.count >= 2 else { break }
                let length = Int(reader.popFirst()!) | Int(reader.popFirst()!) << 8
                let bytes = Array(reader.prefix(length))
                reader = reader.dropFirst(bytes.count)
                connection.send(bytes)
            case 0xE0...0xEF:
                connection.close()
                connection = FuzzConnection(port: port)
                opened += 1
            default:
                handshake(on: &connection)
            }
        }
        // The node must still serve this connection (a handshake, then a pong) or close it. A
        // partial frame left by the script may swallow these bytes; the clock then creeps forward
        // until a deadline (partial frame, handshake) closes the connection.
        handshake(on: &connection)
        nonce &+= 1
        connection.send(FrameEncoder.encode(.ping(nonce: nonce), magic: magic))
        let outcome = connection.awaitPong(nonce: nonce, magic: magic, seconds: 20) { clock.advance(by: .seconds(10)) }
        precondition(outcome != .timedOut, "the node neither answered a ping nor closed the connection")
        connection.close()
        // Every connection of this input is closed: the inbound peer table must drain.
        let deadline = Date().addingTimeInterval(10)
        while !node.peerInfo().filter(\.inbound).isEmpty {
            precondition(Date() < deadline, "peer state outlived its connection (\(opened) opened by this input)")
            usleep(200)
        }
    }

    private func handshake(on connection: inout FuzzConnection) {
        nonce &+= 1
        let version = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: port),
            sender: NetAddress(services: 0, ipv4: (0, 0, 0, 0), port: 0), nonce: nonce | 1 << 63, userAgent: "/nodefuzz/",
            startHeight: 0, relay: false, genesisHash: Network.regtest.parameters.genesisHash)
        connection.send(FrameEncoder.encode(.version(version), magic: magic))
        connection.send(FrameEncoder.encode(.verack, magic: magic))
    }
}

/// A blocking loopback TCP connection of the fuzzer.
struct FuzzConnection {
    enum PongOutcome { case pong, closed, timedOut }

    private(set) var descriptor: Int32

    init(port: UInt16) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(descriptor >= 0, "socket: \(errno)")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(result == 0, "connect to the fuzzed node: \(errno)")
    }

    /// Sends everything, unless the node closed the connection (then the rest is dropped).
    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            offset += count
        }
    }

    /// Reads until a `pong` with `nonce`, EOF/reset, or `seconds` pass; calls `idle` after every
    /// 5 ms without data.
    func awaitPong(nonce: UInt64, magic: NetworkMagic, seconds: Double, idle: () -> Void) -> PongOutcome {
        var decoder = FrameDecoder(magic: magic)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 5) > 0 else {
                idle()
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return .closed }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            while true {
                guard let frame = try? decoder.nextFrame() else { break }
                if frame.command == Command.pong, case .pong(let received)? = try? Message.decode(frame), received == nonce {
                    return .pong
                }
            }
        }
        return .timedOut
    }

    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
