@testable import DilithionReactor
import DilithionSystem
import DilithionWire
#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking loopback socket playing the remote peer: writes raw bytes or frames and reads
/// frames back with bounded waits (`poll`, never `select`). Used by one thread at a time (the
/// unchecked Sendable lets a test hand it to a sender thread).
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var decoder: FrameDecoder
    let magic: NetworkMagic

    init(connectingTo address: SocketAddress, magic: NetworkMagic = Network.regtest.magic, receiveBufferBytes: Int32? = nil) throws {
        self.magic = magic
        decoder = FrameDecoder(magic: magic)
        fd = socket(address.addressFamily, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        if var size = receiveBufferBytes {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw TestFailure("connect \(address): errno \(error)")
        }
        SocketCalls.setNoDelay(fd)
    }

    deinit {
        close()
    }

    private var isClosed = false

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Sends every byte (blocking).
    func sendRaw(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    func send(command: String, payload: [UInt8] = []) {
        sendRaw(FrameEncoder.encode(magic: magic, command: command, payload: payload))
    }

    /// The next frame, or nil if none arrives within `timeout` seconds or the socket closed.
    func readFrame(timeout: Double = 30) -> Frame? {
        let deadline = MonotonicClock.now() + timeout
        while true {
            if let frame = try? decoder.nextFrame() { return frame }
            guard waitReadable(until: deadline) else { return nil }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Exactly `count` raw bytes as they came off the socket, or nil if they do not arrive within
    /// `timeout` seconds. Only for a client that has not read frames (bytes the frame decoder
    /// already holds are not returned).
    func readRaw(count: Int, timeout: Double = 30) -> [UInt8]? {
        let deadline = MonotonicClock.now() + timeout
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            guard waitReadable(until: deadline) else { return nil }
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if got <= 0 { return nil }
            filled += got
        }
        return bytes
    }

    /// Reads until end-of-file; true if EOF (or reset) came within `timeout` seconds.
    func waitForClose(timeout: Double = 30) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while waitReadable(until: deadline) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return true }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return false
    }

    private func waitReadable(until deadline: Double) -> Bool {
        while true {
            let remaining = deadline - MonotonicClock.now()
            if remaining <= 0 { return false }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining * 1000, 1000)) + 1)
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { return false }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A reply burst (in bytes) that keeps a non-reading peer's outbox over `cap` for good: more than
/// the cap plus everything the kernel can hold for one loopback connection. The sender's buffer
/// autotunes up to `tcp_wmem`'s maximum (counted twice: the kernel accounts buffer memory, not
/// payload, and a `sendmsg` may overshoot); the receiver holds its small `SO_RCVBUF` (the 1 MiB
/// margin covers it). Sized from this machine's sysctl, so the claim holds wherever the test runs.
func unreadableBurstBytes(overCap cap: Int) -> Int {
    cap + 2 * kernelSendBufferCeiling() + 1 << 20
}

/// `net.ipv4.tcp_wmem`'s maximum: the most a TCP socket's send buffer autotunes to.
func kernelSendBufferCeiling() -> Int {
    guard let file = fopen("/proc/sys/net/ipv4/tcp_wmem", "r") else { preconditionFailure("no /proc/sys/net/ipv4/tcp_wmem") }
    defer { fclose(file) }
    var text = [UInt8](repeating: 0, count: 128)
    let count = fread(&text, 1, text.count, file)
    let fields = String(decoding: text[0..<count], as: UTF8.self).split(whereSeparator: \.isWhitespace)
    guard fields.count == 3, let maximum = Int(fields[2]) else { preconditionFailure("unexpected tcp_wmem: \(fields)") }
    return maximum
}

/// Open descriptors of this process (entries of /proc/self/fd, minus the one used to list it).
func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    var count = 0
    while readdir(directory) != nil { count += 1 }
    closedir(directory)
    return count - 3  // ".", "..", and the directory's own descriptor
}

/// What each open descriptor of this process points at (`/proc/self/fd` links), for a failure message.
func openDescriptorTargets() -> [String] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    defer { closedir(directory) }
    var targets: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        guard Int(name) != nil else { continue }
        var buffer = [CChar](repeating: 0, count: 512)
        let count = readlink("/proc/self/fd/" + name, &buffer, buffer.count - 1)
        targets.append(name + "->" + (count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"))
    }
    return targets
}

/// A 4-byte big-endian sequence number payload.
func sequencePayload(_ value: Int, padTo size: Int = 4) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: max(size, 4))
    bytes[0] = UInt8(truncatingIfNeeded: value >> 24)
    bytes[1] = UInt8(truncatingIfNeeded: value >> 16)
    bytes[2] = UInt8(truncatingIfNeeded: value >> 8)
    bytes[3] = UInt8(truncatingIfNeeded: value)
    return bytes
}

func sequenceNumber(_ payload: [UInt8]) -> Int {
    guard payload.count >= 4 else { return -1 }
    return Int(payload[0]) << 24 | Int(payload[1]) << 16 | Int(payload[2]) << 8 | Int(payload[3])
}
