import DilithionSystem
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// A raw P2P peer over loopback TCP for tests and the `fakepeer` tool (RELIABILITY.md §5).
///
/// It writes exactly the bytes it is told to (well-formed frames from ``DilithionWire``, frames with
/// any command field or checksum, or raw bytes), in chunks of a chosen size with a chosen pause
/// between them, and ends the connection in any of the ways a real peer can: plain ``close()``,
/// ``halfClose()`` (FIN while still reading), ``reset()`` (RST), or by never reading again
/// (``stopReading()``), so that the node's send path backs up.
///
/// The socket is blocking; every wait is bounded (`poll(2)` with a deadline) and measured on the
/// monotonic clock, never on the node's clock. Only loopback addresses (`127.0.0.0/8`, `::1`) can
/// be dialled: anything else throws ``FakePeerError/notLoopback(host:)`` before a socket exists.
///
/// A `FakePeer` is not thread-safe: use it from one thread at a time.
///
/// ```swift
/// let peer = try FakePeer(port: nodePort)
/// guard peer.handshake().isComplete else { return XCTFail("no handshake") }
/// peer.send(bytes: FrameEncoder.encode(.ping(nonce: 1), magic: peer.network.magic), chunkSize: 1, pace: .milliseconds(5))
/// let reply = peer.receive(for: 5) { frames in frames.contains { $0.command == "pong" } }
/// peer.reset()
/// ```
public final class FakePeer {
    /// What one ``receive(for:until:)`` call read.
    public struct Reception: Sendable {
        /// The frames decoded during the call, in arrival order.
        public var frames: [Frame]
        /// Whether the other end has closed (or reset) the connection by the end of the call.
        public var closed: Bool
    }

    /// The outcome of ``handshake(version:timeout:)``.
    public struct Handshake: Sendable {
        /// The node's `version` arrived.
        public var sawVersion: Bool
        /// The node's `verack` arrived.
        public var sawVerack: Bool
        /// Every frame received while waiting (the node's `version` and `verack` among them).
        public var frames: [Frame]
        /// Both arrived and our `verack` was sent: the node now treats this peer as established.
        public var isComplete: Bool { sawVersion && sawVerack }
    }

    /// The network whose magic frames this peer sends and expects.
    public let network: Network
    /// The socket, or -1 once ``close()`` or ``reset()`` released it. Exposed for the rare test
    /// that needs a socket call the kit does not wrap; writes through it bypass ``bytesSent``.
    public private(set) var descriptor: Int32
    /// Reply to every `ping` read with a `pong` of the same nonce (off by default: a test that
    /// checks the node's ping timeout must be able to stay silent).
    public var answersPings = false

    /// Bytes written so far.
    public private(set) var bytesSent = 0
    /// Bytes read so far.
    public private(set) var bytesReceived = 0
    /// Frames decoded so far (including those read during the handshake).
    public private(set) var framesReceived = 0
    /// `pong`s that matched a ping sent with ``sendPing(nonce:)``.
    public private(set) var pongsReceived = 0
    /// Round-trip times of the matched pings, in milliseconds, in arrival order.
    public private(set) var roundTripsMilliseconds: [Double] = []
    /// The other end closed or reset the connection (a read returned end-of-file or an error).
    public private(set) var isClosedByRemote = false
    /// A write failed (the connection was reset or closed); later sends are skipped.
    public private(set) var sendFailed = false
    /// False after ``stopReading()``.
    public private(set) var isReading = true

    private var decoder: FrameDecoder
    private var pingSentAt: [UInt64: Double] = [:]

    /// Connects to a node listening on `host`:`port` (loopback only).
    ///
    /// - Parameters:
    ///   - host: a numeric loopback address (`127.x.y.z`, `::1`, optionally in brackets) or `localhost`.
    ///   - port: the node's P2P port.
    ///   - network: whose magic to frame with (regtest by default).
    ///   - receiveBufferBytes: when set, `SO_RCVBUF` before connecting, so the TCP window stays small
    ///     and a peer that stops reading backs the node up after a few kilobytes instead of megabytes.
    ///   - sourceHost: when set, the loopback address to connect from (`127.0.0.2`, ...), so that a
    ///     test can play several hosts: a node bans and counts per address.
    /// - Throws: ``FakePeerError`` for a non-loopback or malformed host, or a failed connect.
    public init(
        host: String = "127.0.0.1", port: UInt16, network: Network = .regtest, receiveBufferBytes: Int? = nil,
        sourceHost: String? = nil
    ) throws(FakePeerError) {
        let address = try LoopbackAddress(host: host, port: port)
        let source = try sourceHost.map { host throws(FakePeerError) in try LoopbackAddress(host: host, port: 0) }
        let socketDescriptor = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw .socketFailed(errno: errno) }
        if let source {
            guard source.family == address.family, source.withSocketAddress({ bind(socketDescriptor, $0, $1) }) == 0 else {
                let code = source.family == address.family ? errno : EAFNOSUPPORT
                Glibc.close(socketDescriptor)
                throw .socketFailed(errno: code)
            }
        }
        if var size = receiveBufferBytes.map(Int32.init(clamping:)) {
            guard setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                let code = errno
                Glibc.close(socketDescriptor)
                throw .socketFailed(errno: code)
            }
        }
        let result = address.withSocketAddress { Glibc.connect(socketDescriptor, $0, $1) }
        guard result == 0 else {
            let code = errno
            Glibc.close(socketDescriptor)
            throw .connectFailed(host: address.host, port: port, errno: code)
        }
        self.network = network
        descriptor = socketDescriptor
        decoder = FrameDecoder(magic: network.magic)
        Self.disableNagle(socketDescriptor)
    }

    /// Wraps a connected socket (from ``FakePeerListener/accept(timeout:)``); takes ownership of it.
    init(connected socketDescriptor: Int32, network: Network) {
        self.network = network
        descriptor = socketDescriptor
        decoder = FrameDecoder(magic: network.magic)
        Self.disableNagle(socketDescriptor)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Small writes leave at once, so chunking and pacing reach the wire as asked.
    private static func disableNagle(_ socketDescriptor: Int32) {
        var one: Int32 = 1
        setsockopt(socketDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Sending

    /// Writes `bytes` as they are.
    ///
    /// - Parameters:
    ///   - chunkSize: at most this many bytes per `send(2)` (0: all at once).
    ///   - pace: the pause between two chunks (none after the last).
    /// - Returns: false when the write failed (see ``sendFailed``) or the socket is closed.
    @discardableResult
    public func send(bytes: [UInt8], chunkSize: Int = 0, pace: Duration = .zero) -> Bool {
        guard descriptor >= 0, !sendFailed else { return false }
        let step = chunkSize > 0 ? chunkSize : max(1, bytes.count)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            var written = offset
            while written < end {
                let count = bytes[written..<end].withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    sendFailed = true
                    return false
                }
                written += count
                bytesSent += count
            }
            offset = end
            if offset < bytes.count { MonotonicClock.sleep(pace) }
        }
        return true
    }

    /// Writes one well-formed frame carrying `message` (see ``send(bytes:chunkSize:pace:)``).
    @discardableResult
    public func send(_ message: Message, chunkSize: Int = 0, pace: Duration = .zero) -> Bool {
        send(bytes: FrameEncoder.encode(message, magic: network.magic), chunkSize: chunkSize, pace: pace)
    }

    /// Writes one frame with any command field and payload (see ``frame(command:payload:magic:checksum:)``).
    @discardableResult
    public func sendFrame(
        command: String, payload: [UInt8], checksum: UInt32? = nil, chunkSize: Int = 0, pace: Duration = .zero
    ) -> Bool {
        send(bytes: Self.frame(command: command, payload: payload, magic: network.magic, checksum: checksum),
             chunkSize: chunkSize, pace: pace)
    }

    /// Builds a frame without the encoder's checks, so tests can make malformed ones.
    ///
    /// - Parameters:
    ///   - command: its UTF-8 bytes fill the 12-byte command field, NUL-padded (cut at 12 bytes);
    ///     nothing checks that they are printable.
    ///   - payload: any length (the length field is its count, truncated to 32 bits).
    ///   - magic: the four magic bytes.
    ///   - checksum: the checksum field; nil for the correct SHA3-256d checksum of `payload`.
    public static func frame(command: String, payload: [UInt8], magic: NetworkMagic, checksum: UInt32? = nil) -> [UInt8] {
        var out = magic.wireBytes
        var field = Array(command.utf8.prefix(Limits.commandFieldSize))
        field += [UInt8](repeating: 0, count: Limits.commandFieldSize - field.count)
        out += field
        out += littleEndian(UInt32(truncatingIfNeeded: payload.count))
        out += littleEndian(checksum ?? SHA3.checksum(payload))
        out += payload
        return out
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
    }

    /// Sends a `ping` and remembers when, so that its `pong` (read by any later receive) adds a
    /// round trip to ``roundTripsMilliseconds``.
    @discardableResult
    public func sendPing(nonce: UInt64) -> Bool {
        pingSentAt[nonce] = MonotonicClock.now()
        return send(.ping(nonce: nonce))
    }

    // MARK: Receiving

    /// Reads and decodes frames for up to `seconds`, returning early when the connection closes or
    /// `stop` returns true for the frames read so far in this call.
    ///
    /// Pings are answered when ``answersPings`` is set; pongs of ``sendPing(nonce:)`` are timed.
    /// After ``stopReading()`` nothing is read: the call only waits out its time.
    ///
    /// - Parameter seconds: the longest wait (0: only what has already arrived).
    public func receive(for seconds: Double, until stop: ([Frame]) -> Bool = { _ in false }) -> Reception {
        let deadline = MonotonicClock.now() + seconds
        guard isReading, descriptor >= 0 else {
            MonotonicClock.sleep(.nanoseconds(Int64(max(0, deadline - MonotonicClock.now()) * 1e9)))
            return Reception(frames: [], closed: isClosedByRemote)
        }
        var frames: [Frame] = []
        while !isClosedByRemote {
            // Slices of at most 100 ms, so a `stop` that looks at more than the frames is re-checked.
            let remaining = max(0, min(0.1, deadline - MonotonicClock.now()))
            readOnce(waitingMilliseconds: Int32(remaining * 1000), into: &frames)
            if stop(frames) || MonotonicClock.now() >= deadline { break }
        }
        return Reception(frames: frames, closed: isClosedByRemote)
    }

    /// One `poll` + `recv`: decodes whatever arrived, answers pings, times pongs.
    private func readOnce(waitingMilliseconds: Int32, into frames: inout [Frame]) {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, waitingMilliseconds)
        guard ready > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return }
        if count <= 0 {
            isClosedByRemote = true
            return
        }
        bytesReceived += count
        buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        while let frame = try? decoder.nextFrame() {
            frames.append(frame)
            framesReceived += 1
            handleControl(frame)
        }
    }

    private func handleControl(_ frame: Frame) {
        if frame.command == Command.ping, answersPings, case .ping(let nonce)? = try? Message.decode(frame) {
            send(.pong(nonce: nonce))
        } else if frame.command == Command.pong, case .pong(let nonce)? = try? Message.decode(frame),
            let sentAt = pingSentAt.removeValue(forKey: nonce) {
            pongsReceived += 1
            roundTripsMilliseconds.append((MonotonicClock.now() - sentAt) * 1000)
        }
    }

    /// Sends `count` pings `interval` apart (reading while it waits, so each pong is timed when it
    /// arrives), then waits up to `timeout` seconds for the missing pongs.
    ///
    /// - Parameter nonceBase: ORed with 1…`count` to make each ping's nonce.
    /// - Returns: the round-trip times of this call's pings, in milliseconds (missing pongs leave
    ///   no entry; compare the count with `count`).
    public func measurePings(
        count: Int, interval: Duration = .zero, timeout: Double = 5, nonceBase: UInt64 = 0x5EED_0000_0000_0000
    ) -> [Double] {
        let firstNew = roundTripsMilliseconds.count
        let nonces = Set((0..<max(0, count)).map { UInt64($0 + 1) | nonceBase })
        for index in 0..<max(0, count) {
            sendPing(nonce: UInt64(index + 1) | nonceBase)
            _ = receive(for: MonotonicClock.seconds(interval))
        }
        let allAnswered = { nonces.allSatisfy { self.pingSentAt[$0] == nil } }
        if !allAnswered() { _ = receive(for: timeout) { _ in allAnswered() } }
        return Array(roundTripsMilliseconds[firstNew...])
    }

    // MARK: Handshake

    /// A `version` like a plain inbound peer's: protocol 70011, `NODE_NETWORK`, the network's genesis.
    ///
    /// - Parameters:
    ///   - port: the receiver's port written into `addr_recv`.
    ///   - startHeight: the height this peer claims.
    ///   - nonce: the self-connection nonce (random by default).
    public static func makeVersion(
        network: Network = .regtest, port: UInt16 = 0, userAgent: String = "/fakepeer/", startHeight: Int32 = 0,
        services: UInt64 = 1, relay: Bool = false, nonce: UInt64 = UInt64.random(in: 1...UInt64.max)
    ) -> VersionMessage {
        VersionMessage(
            protocolVersion: 70011, services: services, timestamp: Int64(time(nil)),
            receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: port),
            sender: NetAddress(services: 0, ipv4: (0, 0, 0, 0), port: 0), nonce: nonce,
            userAgent: userAgent, startHeight: startHeight, relay: relay, genesisHash: network.parameters.genesisHash)
    }

    /// version → the node's `version` and `verack` → our `verack`, bounded by `timeout` seconds.
    ///
    /// Our `verack` is sent only when the node's `version` arrived.
    /// - Parameter version: what to send (``makeVersion(network:port:userAgent:startHeight:services:relay:nonce:)`` by default).
    public func handshake(version: VersionMessage? = nil, timeout: Double = 10) -> Handshake {
        send(.version(version ?? Self.makeVersion(network: network)))
        var frames: [Frame] = []
        func hasBoth(_ more: [Frame]) -> Bool {
            let all = frames + more
            return all.contains { $0.command == Command.version } && all.contains { $0.command == Command.verack }
        }
        let deadline = MonotonicClock.now() + timeout
        while !hasBoth([]), !isClosedByRemote {
            let remaining = deadline - MonotonicClock.now()
            guard remaining > 0 else { break }
            let more = receive(for: remaining, until: hasBoth).frames
            frames += more
        }
        let result = Handshake(
            sawVersion: frames.contains { $0.command == Command.version },
            sawVerack: frames.contains { $0.command == Command.verack }, frames: frames)
        if result.sawVersion { send(.verack) }
        return result
    }

    // MARK: Ending

    /// Never reads again: the kernel's receive buffer fills, the TCP window closes and the node's
    /// writes to this peer back up into its outbox. Later ``receive(for:until:)`` calls only wait.
    public func stopReading() { isReading = false }

    /// `shutdown(SHUT_WR)`: sends FIN, so the node reads end-of-file, while this side can still read.
    public func halfClose() {
        guard descriptor >= 0 else { return }
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes with `SO_LINGER` 0, so the kernel sends RST instead of FIN and discards unsent bytes.
    public func reset() {
        guard descriptor >= 0 else { return }
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    /// `close(2)`: FIN after any queued bytes. Idempotent.
    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}
