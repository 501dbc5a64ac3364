// Node-level benchmark client for scripts/bench: drives a running release `dilithion-node` (regtest,
// listening on 127.0.0.1) over plain blocking loopback sockets, speaking the wire protocol through
// DilithionWire, and prints one `key=value` line per mode. The node is a separate process so that the
// script can read its RSS and CPU time from /proc.
//
//   NodeBench ping PORT COUNT        handshake, then COUNT ping/pong round trips one at a time
//   NodeBench handshake PORT COUNT   COUNT connections one after another: connect(), version →
//                                    ← version + verack, verack + ping → ← pong (so the node has
//                                    processed our verack: both sides complete), close with RST
//   NodeBench accept PORT COUNT      COUNT connections one after another: connect(), version →
//                                    ← version (the node accepted and answered), close with RST
//   NodeBench hold PORT COUNT        COUNT handshaken connections kept open and idle (answering
//                                    only the node's pings); prints "held=N lost=L seconds=S" (L
//                                    peers the node closed meanwhile) and runs until killed
//   NodeBench getheaders PORT COUNT [NODE_PID [CONNECTIONS [IN_FLIGHT [LOCATORS]]]]
//                                    COUNT getheaders over CONNECTIONS handshaken connections
//                                    (default 2, a thread each), IN_FLIGHT outstanding on each
//                                    (default 4), LOCATORS start heights along the chain in turn
//                                    (default 8), each answered by a run of 2,000 headers on a long
//                                    chain; every reply's checksum verified and its payload compared
//                                    with the decoded and checked reply to its locator; headers/s,
//                                    and with NODE_PID headers per node CPU-second
//                                    (GetHeadersBench.swift)
//   NodeBench flood PORT COUNT NODE_PID [CONNECTIONS [IN_FLIGHT]]
//                                    CONNECTIONS handshaken peers (default 8) each keep IN_FLIGHT
//                                    pings outstanding (default 256) until COUNT pongs came back in
//                                    all; prints the rate and the node's CPU time over the flood (the
//                                    sum of its threads' schedstat, read after the handshakes and at
//                                    the end) per pong: "pongs=N seconds=S rate=R node_cpu_ns=C
//                                    node_ns_per_pong=P"
//   NodeBench serve PORT PEERS NODE_PID
//                                    PEERS handshaken peers each download every block of the node's
//                                    active chain by getdata (a window of 32 in flight each);
//                                    prints the node's CPU-seconds per GB of block frames sent
//                                    (ServeBench.swift)
//
// Only 127.0.0.1 is ever dialed.
import DilithionSystem
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// CPU time of every thread of process `pid` in ns (the first field of each thread's schedstat).
func processCPUNanoseconds(_ pid: Int32) -> UInt64 {
    guard let directory = opendir("/proc/\(pid)/task") else { fail("no process \(pid)") }
    defer { closedir(directory) }
    var total: UInt64 = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard name.first?.isNumber == true else { continue }
        let fd = open("/proc/\(pid)/task/\(name)/schedstat", O_RDONLY)
        guard fd >= 0 else { continue }  // the thread just ended
        var text = [UInt8](repeating: 0, count: 128)
        let count = text.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        close(fd)
        guard count > 0 else { continue }
        total += UInt64(String(decoding: text[0..<count].prefix { $0 != 0x20 }, as: UTF8.self)) ?? 0
    }
    return total
}

func fail(_ message: String) -> Never {
    let line = Array("NodeBench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

let network = Network.regtest
let parameters = network.parameters

/// One blocking loopback connection to the node with its own frame decoder.
struct WirePeer {
    let fd: Int32
    var decoder = FrameDecoder(magic: network.magic)
    var readBuffer: [UInt8]

    /// `readBuffer`: a 64 KiB buffer to reuse (the connection loops hand one from peer to peer, as
    /// the C reference reads into one static buffer), or nil for a new one.
    init(port: UInt16, readBuffer: [UInt8]? = nil) {
        self.readBuffer = readBuffer ?? [UInt8](repeating: 0, count: 64 * 1024)
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { fail("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1, never anything else
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { fail("connect 127.0.0.1:\(port): errno \(errno)") }
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = socketFD
    }

    func send(_ message: Message) {
        send([message])
    }

    /// Several messages in one write, as a node that batches its sends puts them on the wire (the
    /// C reference's client also makes one write per round trip).
    func send(_ messages: [Message]) {
        write(messages.flatMap { FrameEncoder.encode($0, magic: network.magic) })
    }

    /// Writes `bytes` (frames encoded beforehand) whole.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { fail("write: errno \(errno)") }
                offset += written
            }
        }
    }

    /// The next complete frame (blocking).
    mutating func receive() -> Frame {
        while true {
            do {
                if let frame = try decoder.nextFrame() { return frame }
            } catch {
                fail("bad frame from the node: \(error)")
            }
            let count = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { fail("the node closed the connection (errno \(errno))") }
            readBuffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Frames until one with `command`, which it returns (others are skipped: sendheaders, getheaders,
    /// ping, addr, ... that the node sends on its own).
    mutating func receive(_ command: String) -> Frame {
        while true {
            let frame = receive()
            if frame.command == command { return frame }
            if frame.command == Command.ping, case .ping(let nonce)? = try? Message.decode(frame) {
                send(.pong(nonce: nonce))  // stay a well-behaved peer
            }
        }
    }

    /// Closes with RST so that thousands of short connections leave no TIME_WAIT behind.
    func closeReset() {
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }
}

/// One poll over the held peers; each readable one gets one read, its pings answered. A peer the node
/// closes is dropped from the poll set (fd -1) and counted in `lost`.
func serviceReadable(
    _ peers: inout [WirePeer], _ polls: inout [pollfd], _ buffer: inout [UInt8], lost: inout Int,
    timeoutMilliseconds: Int32
) {
    let ready = poll(&polls, nfds_t(polls.count), timeoutMilliseconds)
    guard ready > 0 else { return }
    for index in polls.indices where polls[index].revents != 0 && polls[index].fd >= 0 {
        polls[index].revents = 0
        let count = buffer.withUnsafeMutableBytes { read(polls[index].fd, $0.baseAddress!, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
            close(polls[index].fd)
            polls[index].fd = -1
            lost += 1
            continue
        }
        buffer.withUnsafeBytes { peers[index].decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        while let frame = try? peers[index].decoder.nextFrame() {
            if frame.command == Command.ping, case .ping(let nonce)? = try? Message.decode(frame) {
                peers[index].send(.pong(nonce: nonce))
            }
        }
    }
}

nonisolated(unsafe) var nonceState = UInt64(truncatingIfNeeded: MonotonicClock.nanoseconds()) | 1
func nextNonce() -> UInt64 {
    // xorshift64*: unique enough that the node never takes us for itself
    nonceState ^= nonceState >> 12
    nonceState ^= nonceState << 25
    nonceState ^= nonceState >> 27
    return nonceState &* 0x2545_F491_4F6C_DD1D
}

/// The version's two addresses, parsed once (the connection loops send thousands of versions).
nonisolated(unsafe) var versionAddresses: (port: UInt16, receiver: NetAddress, sender: NetAddress)?

func versionMessage(port: UInt16) -> Message {
    if versionAddresses?.port != port {
        versionAddresses = (port, NetAddress(host: "127.0.0.1", port: port)!, NetAddress(host: "127.0.0.1", port: 0)!)
    }
    let (_, receiver, sender) = versionAddresses!
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return .version(VersionMessage(
        protocolVersion: parameters.protocolVersion, services: 1, timestamp: Int64(now.tv_sec),
        receiver: receiver, sender: sender, nonce: nextNonce(), userAgent: "/NodeBench:1/",
        startHeight: 0, relay: false, genesisHash: parameters.genesisHash))
}

/// version/verack both ways, then a ping whose pong proves the node processed our verack: two round
/// trips, each one write from us (version; verack + ping), like the reference's connect + 2 rt.
func handshake(_ peer: inout WirePeer, port: UInt16) {
    peer.send(versionMessage(port: port))
    var sawVersion = false, sawVerack = false
    while !(sawVersion && sawVerack) {
        let frame = peer.receive()
        if frame.command == Command.version { sawVersion = true }
        if frame.command == Command.verack { sawVerack = true }
        if frame.command == Command.reject { fail("the node rejected us: \(frame)") }
    }
    let nonce = nextNonce()
    peer.send([.verack, .ping(nonce: nonce)])  // one write: the second round trip, as in the reference
    while true {
        let frame = peer.receive(Command.pong)
        if case .pong(let got)? = try? Message.decode(frame), got == nonce { return }
    }
}

/// `count` connections to the node at `port`, each handshaken (``handshake(_:port:)``).
func handshakenPeers(port: UInt16, count: Int) -> [WirePeer] {
    (0..<count).map { _ in
        var peer = WirePeer(port: port)
        handshake(&peer, port: port)
        return peer
    }
}

func summary(_ samples: inout [UInt64], totalNanoseconds: UInt64) -> String {
    samples.sort()
    let rate = Double(samples.count) / (Double(totalNanoseconds) / 1e9)
    let p50 = Double(samples[samples.count / 2]) / 1e3
    let p99 = Double(samples[samples.count * 99 / 100]) / 1e3
    return "rate=\(format(rate)) p50_us=\(format(p50)) p99_us=\(format(p99))"
}

/// Opens `count` connections one after another, times `exchange` on each from before `connect`
/// to its end, closes each with a reset and prints the rate and percentiles.
func timeConnections(count: Int, port: UInt16, _ exchange: (inout WirePeer) -> Void) {
    var samples = [UInt64]()
    samples.reserveCapacity(count)
    var spareBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    let start = MonotonicClock.nanoseconds()
    for _ in 0..<count {
        let begin = MonotonicClock.nanoseconds()
        var peer = WirePeer(port: port, readBuffer: spareBuffer)
        spareBuffer = []  // the peer's copy is the only reference: no copy on its first read
        exchange(&peer)
        samples.append(MonotonicClock.nanoseconds() - begin)
        peer.closeReset()
        spareBuffer = peer.readBuffer
    }
    print(summary(&samples, totalNanoseconds: MonotonicClock.nanoseconds() - start))
}

func format(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return "\(scaled)"
}

func raiseFileLimit() {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    if getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        setrlimit(resource, &limit)
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let port = UInt16(arguments[2]), let count = Int(arguments[3]), count > 0,
      arguments[1] == "flood" || arguments.count == (arguments[1] == "serve" ? 5 : 4)
        || (arguments[1] == "getheaders" && arguments.count <= 8) else {
    fail("usage: NodeBench ping|handshake|accept|hold PORT COUNT"
         + " | getheaders PORT COUNT [NODE_PID [CONNECTIONS [IN_FLIGHT [LOCATORS]]]]"
         + " | flood PORT COUNT NODE_PID [CONNECTIONS [IN_FLIGHT]] | serve PORT PEERS NODE_PID")
}
signal(SIGPIPE, SIG_IGN)

switch arguments[1] {
case "ping":
    var peer = WirePeer(port: port)
    handshake(&peer, port: port)
    var samples = [UInt64]()
    samples.reserveCapacity(count)
    let start = MonotonicClock.nanoseconds()
    for _ in 0..<count {
        let nonce = nextNonce()
        let sent = MonotonicClock.nanoseconds()
        peer.send(.ping(nonce: nonce))
        while true {
            if case .pong(let got)? = try? Message.decode(peer.receive(Command.pong)), got == nonce { break }
        }
        samples.append(MonotonicClock.nanoseconds() - sent)
    }
    let total = MonotonicClock.nanoseconds() - start
    peer.closeReset()
    print(summary(&samples, totalNanoseconds: total))

case "handshake":
    timeConnections(count: count, port: port) { peer in handshake(&peer, port: port) }

case "accept":
    timeConnections(count: count, port: port) { peer in
        peer.send(versionMessage(port: port))
        _ = peer.receive(Command.version)
    }

case "hold":
    raiseFileLimit()
    var peers = [WirePeer]()
    peers.reserveCapacity(count)
    var polls = [pollfd]()
    polls.reserveCapacity(count)
    var shared = [UInt8](repeating: 0, count: 64 * 1024)
    var lost = 0
    let start = MonotonicClock.nanoseconds()
    for index in 0..<count {
        var peer = WirePeer(port: port)
        handshake(&peer, port: port)
        peer.readBuffer = []  // idle from now on: one shared read buffer for all
        peers.append(peer)
        polls.append(pollfd(fd: peer.fd, events: Int16(POLLIN), revents: 0))
        // Keep earlier peers alive while later ones connect (the node pings a peer silent for 60 s).
        if index % 200 == 199 { serviceReadable(&peers, &polls, &shared, lost: &lost, timeoutMilliseconds: 0) }
    }
    let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
    // held: handshaken and still open; lost: handshaken, then closed by the node before the end
    print("held=\(peers.count - lost) lost=\(lost) seconds=\(format(seconds))")
    fflush(nil)  // the script waits for this line in a file
    // Idle, but alive: answer the node's pings until killed (the script measures the node meanwhile).
    while true {
        serviceReadable(&peers, &polls, &shared, lost: &lost, timeoutMilliseconds: -1)
        if lost == peers.count { fail("the node closed every held peer") }
    }

case "getheaders":
    let pid = arguments.count > 4 ? Int32(arguments[4]) : nil
    let connections = arguments.count > 5 ? Int(arguments[5]) ?? 0 : 2
    let inFlight = arguments.count > 6 ? Int(arguments[6]) ?? 0 : 4
    let locators = arguments.count > 7 ? Int(arguments[7]) ?? 0 : 8
    guard (1...16).contains(connections), (1...64).contains(inFlight), (1...64).contains(locators) else {
        fail("getheaders: 1-16 connections, 1-64 in flight, 1-64 locators")
    }
    getheadersBench(port: port, replies: count, pid: pid, connections: connections, inFlight: inFlight, locators: locators)

case "flood":
    guard arguments.count >= 5, let pid = Int32(arguments[4]) else { fail("flood needs the node's PID") }
    let connections = arguments.count > 5 ? Int(arguments[5]) ?? 0 : 8
    let inFlight = arguments.count > 6 ? Int(arguments[6]) ?? 0 : 256
    guard (1...64).contains(connections), (1...4096).contains(inFlight) else { fail("flood: 1-64 connections, 1-4096 in flight") }
    let peers = handshakenPeers(port: port, count: connections)
    // Pings with nonces 0..<inFlight, encoded once: the client must cost the machine little, so
    // it neither hashes nor allocates per message. Pongs come back in order on each connection
    // (the node handles a peer's messages in order); their nonces are checked.
    let pings = (0..<inFlight).map { FrameEncoder.encode(.ping(nonce: UInt64($0)), magic: network.magic) }
    let pingSize = pings[0].count
    let pingBlock = pings.flatMap { $0 }
    let pongCommand: [UInt8] = Array(Command.pong.utf8) + [UInt8](repeating: 0, count: 12 - Command.pong.utf8.count)
    var nextSlot = [Int](repeating: 0, count: connections)  // the nonce the next pong must carry
    var sendSlot = [Int](repeating: 0, count: connections)  // the nonce of the next ping to send
    var pending = [[UInt8]](repeating: [], count: connections)
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    var polls = peers.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
    func sendPings(_ index: Int, _ n: Int) {
        var left = n
        while left > 0 {
            let take = min(left, inFlight - sendSlot[index])
            pingBlock.withUnsafeBytes { raw in
                var offset = sendSlot[index] * pingSize
                let end = offset + take * pingSize
                while offset < end {
                    let written = write(peers[index].fd, raw.baseAddress! + offset, end - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { fail("write: errno \(errno)") }
                    offset += written
                }
            }
            sendSlot[index] = (sendSlot[index] + take) % inFlight
            left -= take
        }
    }
    let cpuBefore = processCPUNanoseconds(pid)
    let start = MonotonicClock.nanoseconds()
    var sent = 0, received = 0
    for index in 0..<connections {
        let n = min(inFlight, count - sent)
        if n > 0 { sendPings(index, n); sent += n }
    }
    while received < count {
        guard poll(&polls, nfds_t(polls.count), 10_000) > 0 else { fail("flood: no pong for 10 s") }
        for index in polls.indices where polls[index].revents != 0 {
            polls[index].revents = 0
            let got = buffer.withUnsafeMutableBytes { read(polls[index].fd, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { fail("the node closed flood connection \(index)") }
            pending[index] += buffer[0..<got]
            var offset = 0, pongs = 0
            pending[index].withUnsafeBytes { raw in
                while raw.count - offset >= Limits.frameHeaderSize {
                    let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self)))
                    guard raw.count - offset >= Limits.frameHeaderSize + length else { break }
                    if length == 8, memcmp(raw.baseAddress! + offset + 4, pongCommand, 12) == 0 {
                        let nonce = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
                        guard nonce == UInt64(nextSlot[index]) else { fail("flood: pong \(nonce) out of order (expected \(nextSlot[index]))") }
                        nextSlot[index] = (nextSlot[index] + 1) % inFlight
                        pongs += 1
                    }
                    offset += Limits.frameHeaderSize + length
                }
            }
            pending[index].removeFirst(offset)
            received += pongs
            let more = min(pongs, count - sent)
            if more > 0 { sendPings(index, more); sent += more }
        }
    }
    let total = MonotonicClock.nanoseconds() - start
    let cpu = processCPUNanoseconds(pid) - cpuBefore
    for peer in peers { peer.closeReset() }
    print("pongs=\(received) seconds=\(format(Double(total) / 1e9)) rate=\(format(Double(received) / (Double(total) / 1e9))) "
          + "node_cpu_ns=\(cpu) node_ns_per_pong=\(format(Double(cpu) / Double(received)))")

case "serve":
    guard let pid = Int32(arguments[4]), (1...64).contains(count) else { fail("serve: 1-64 peers and the node's PID") }
    serveBench(port: port, pid: pid, peerCount: count)

default:
    fail("unknown mode \(arguments[1])")
}
