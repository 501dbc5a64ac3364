import DilithionWire
import Foundation

/// A one-connection TCP listener on 127.0.0.1 that answers the node's `version` with a `version`
/// of its own choosing and a `verack`, then reads until the node closes: an outbound peer the test
/// controls.
final class RawListener: @unchecked Sendable {
    let port: UInt16
    private let descriptor: Int32
    private let lock = NSLock()
    private var closedByNode = false

    init(answering version: VersionMessage, network: Network = .regtest) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
        let magic = network.magic
        Thread.detachNewThread { [self] in serve(version, magic: magic) }
    }

    deinit { close(descriptor) }

    /// Whether the node closed the connection after the exchange.
    var wasClosedByNode: Bool { lock.withLock { closedByNode } }

    private func serve(_ version: VersionMessage, magic: NetworkMagic) {
        let client = accept(descriptor, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        var decoder = FrameDecoder(magic: magic)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var answered = false
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                lock.withLock { closedByNode = true }
                return
            }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            while let frame = try? decoder.nextFrame() {
                guard frame.command == "version", !answered else { continue }
                answered = true
                for message in [Message.version(version), .verack] {
                    let bytes = FrameEncoder.encode(message, magic: magic)
                    _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
    }
}
