import Foundation
import XCTest

/// A loopback TCP proxy for tests that forwards whole frames one at a time and waits `gap` after
/// each one, in both directions: `version` and `verack` always arrive separately, the second well
/// after the first has been processed — the shape that lost BUG #134's `verack`.
final class FrameDelayProxy: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let targetPort: UInt16
    private let gapMicroseconds: UInt32
    private let lock = NSLock()
    private var descriptors: [Int32] = []
    private var stopped = false

    init(targetPort: UInt16, gapMilliseconds: UInt32) throws {
        self.targetPort = targetPort
        self.gapMicroseconds = gapMilliseconds * 1000
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = FrameDelayProxy.loopback(port: 0)
        guard withUnsafePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0, listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        listener = descriptor
        port = UInt16(bigEndian: bound.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    func stop() {
        lock.lock()
        stopped = true
        let all = descriptors + [listener]
        lock.unlock()
        for descriptor in all { shutdown(descriptor, Int32(SHUT_RDWR)) }
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = FrameDelayProxy.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            lock.lock()
            if stopped || connected != 0 {
                lock.unlock()
                close(client)
                close(upstream)
                if stopped { return } else { continue }
            }
            descriptors += [client, upstream]
            lock.unlock()
            Thread.detachNewThread { [self] in pump(from: client, to: upstream) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client) }
        }
    }

    /// Forwards complete frames one by one (24-byte header + its length), pausing after each.
    private func pump(from source: Int32, to destination: Int32) {
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            pending += chunk[0..<count]
            while pending.count >= 24 {
                let length = Int(pending[16]) | Int(pending[17]) << 8 | Int(pending[18]) << 16 | Int(pending[19]) << 24
                guard pending.count >= 24 + length else { break }
                let frame = Array(pending[0..<(24 + length)])
                pending.removeFirst(24 + length)
                _ = frame.withUnsafeBytes { send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                usleep(gapMicroseconds)
            }
        }
        shutdown(destination, Int32(SHUT_WR))
    }
}
