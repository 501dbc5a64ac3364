import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// One connection of `fakepeer`: connect, optional handshake, the payloads (chunked and paced),
/// the pings, the hold, and the chosen ending. Blocking socket with `poll(2)` for bounded reads.
struct FakePeerSession {
    /// What one session did, printed as one JSON line.
    struct Report {
        var connected = false
        var handshakeComplete = false
        var bytesSent = 0
        var framesReceived = 0
        var pongs = 0
        var roundTripsMilliseconds: [Double] = []
        var closedByNode = false
        var sendFailed = false

        var json: String {
            let sorted = roundTripsMilliseconds.sorted()
            func percentile(_ p: Double) -> String {
                guard !sorted.isEmpty else { return "null" }
                let index = min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))
                return String(sorted[index])
            }
            return "{\"connected\":\(connected),\"handshake\":\(handshakeComplete),\"bytes_sent\":\(bytesSent)"
                + ",\"frames_received\":\(framesReceived),\"pongs\":\(pongs),\"rtt_ms_p50\":\(percentile(0.5))"
                + ",\"rtt_ms_p99\":\(percentile(0.99)),\"closed_by_node\":\(closedByNode),\"send_failed\":\(sendFailed)}"
        }
    }

    let options: FakePeerOptions
    private var descriptor: Int32 = -1
    private var decoder: FrameDecoder
    private var report = Report()
    private var pingSentAt: [UInt64: Double] = [:]

    init(options: FakePeerOptions) {
        self.options = options
        decoder = FrameDecoder(magic: options.network.magic)
    }

    /// Runs the session; returns its report (or nil when the connection could not be made).
    mutating func run() -> Report? {
        guard connect() else { return nil }
        report.connected = true
        if options.handshake { handshake() }
        for payload in options.payloads {
            switch payload {
            case .raw(let bytes): send(bytes, chunked: true)
            case .frame(let command, let body): send(FrameEncoder.encode(magic: options.network.magic, command: command, payload: body), chunked: true)
            }
        }
        for index in 0..<options.pings {
            let nonce = UInt64(index + 1) | 0x5EED_0000_0000_0000
            pingSentAt[nonce] = Self.now()
            send(FrameEncoder.encode(.ping(nonce: nonce), magic: options.network.magic), chunked: false)
            // Wait by reading, so that a pong is timed when it arrives, not after the pause.
            let pause = options.pingIntervalMilliseconds > 0 ? options.pingIntervalMilliseconds : options.paceMilliseconds
            if options.stopReading {
                if pause > 0 { sleepMilliseconds(pause) }
            } else {
                drain(forSeconds: Double(pause) / 1000)
            }
        }
        hold()
        end()
        return report
    }

    private mutating func connect() -> Bool {
        let isIPv6 = options.host.contains(":")
        descriptor = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = options.port.bigEndian
            guard inet_pton(AF_INET6, options.host, &address.sin6_addr) == 1 else { return false }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = options.port.bigEndian
            guard inet_pton(AF_INET, options.host, &address.sin_addr) == 1 else { return false }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        if result != 0 {
            close(descriptor)
            descriptor = -1
            return false
        }
        return true
    }

    /// version → (their version and verack) → verack; bounded at 10 s.
    private mutating func handshake() {
        let version = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: Int64(time(nil)),
            receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: options.port),
            sender: NetAddress(services: 0, ipv4: (0, 0, 0, 0), port: 0), nonce: UInt64.random(in: 1...UInt64.max),
            userAgent: "/fakepeer/", startHeight: 0, relay: false, genesisHash: options.network.parameters.genesisHash)
        send(FrameEncoder.encode(.version(version), magic: options.network.magic), chunked: false)
        var sawVersion = false
        var sawVerack = false
        let deadline = Self.now() + 10
        while !(sawVersion && sawVerack), Self.now() < deadline, !report.closedByNode {
            for frame in receive(waitingMilliseconds: 100) {
                if frame.command == Command.version { sawVersion = true }
                if frame.command == Command.verack { sawVerack = true }
            }
        }
        guard sawVersion else { return }
        send(FrameEncoder.encode(.verack, magic: options.network.magic), chunked: false)
        report.handshakeComplete = sawVerack
    }

    private mutating func hold() {
        let deadline = Self.now() + options.holdSeconds
        if options.stopReading {
            while Self.now() < deadline { sleepMilliseconds(min(100, max(1, Int((deadline - Self.now()) * 1000)))) }
            return
        }
        repeat {
            drain(forSeconds: min(0.1, max(0, deadline - Self.now())))
        } while Self.now() < deadline && !report.closedByNode
        // Late pongs of a flood.
        if options.pings > 0 && report.pongs < options.pings && !report.closedByNode { drain(forSeconds: 0.5) }
    }

    private mutating func end() {
        switch options.ending {
        case .close:
            close(descriptor)
        case .halfClose:
            shutdown(descriptor, Int32(SHUT_WR))
            let deadline = Self.now() + max(1, options.holdSeconds)
            while Self.now() < deadline && !report.closedByNode && !options.stopReading { drain(forSeconds: 0.1) }
            close(descriptor)
        case .reset:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(descriptor)
        case .exit:
            // Unbuffered: _exit skips stdio's flush.
            let line = report.json + "\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
            _exit(0)
        }
        descriptor = -1
    }

    /// Reads whatever arrives for up to `seconds` (0: only what is already there); answers pings.
    private mutating func drain(forSeconds seconds: Double) {
        let deadline = Self.now() + seconds
        repeat {
            let frames = receive(waitingMilliseconds: max(0, Int((deadline - Self.now()) * 1000)))
            if frames.isEmpty && (seconds == 0 || Self.now() >= deadline) { break }
        } while Self.now() < deadline && !report.closedByNode
    }

    /// One poll + read; decodes frames, answers pings, records pongs.
    private mutating func receive(waitingMilliseconds: Int) -> [Frame] {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(waitingMilliseconds)) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count <= 0 {
            report.closedByNode = true
            return []
        }
        buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        var frames: [Frame] = []
        while true {
            guard let frame = try? decoder.nextFrame() else { break }
            frames.append(frame)
            report.framesReceived += 1
            if frame.command == Command.ping, case .ping(let nonce)? = try? Message.decode(frame) {
                send(FrameEncoder.encode(.pong(nonce: nonce), magic: options.network.magic), chunked: false)
            } else if frame.command == Command.pong, case .pong(let nonce)? = try? Message.decode(frame),
                let sentAt = pingSentAt.removeValue(forKey: nonce) {
                report.pongs += 1
                report.roundTripsMilliseconds.append((Self.now() - sentAt) * 1000)
            }
        }
        return frames
    }

    private mutating func send(_ bytes: [UInt8], chunked: Bool) {
        guard !report.sendFailed else { return }
        let step = chunked && options.chunkSize > 0 ? options.chunkSize : max(1, bytes.count)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            var written = offset
            while written < end {
                let count = bytes[written..<end].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if count < 0 {
                    if errno == EINTR { continue }
                    report.sendFailed = true
                    return
                }
                written += count
                report.bytesSent += count
            }
            offset = end
            if chunked && options.paceMilliseconds > 0 && offset < bytes.count { sleepMilliseconds(options.paceMilliseconds) }
        }
    }

    private func sleepMilliseconds(_ milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
