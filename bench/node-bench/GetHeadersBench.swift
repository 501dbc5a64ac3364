// `NodeBench getheaders`: the rate at which syncing peers receive verified headers from the node.
//
// CONNECTIONS handshaken connections (default 2), each on a thread of its own, each keeping
// IN_FLIGHT `getheaders` outstanding (default 4). The requests take turns over LOCATORS start
// heights spread along the node's active chain (default 8), so the node serves several different
// runs, each a full 2,000 headers where the chain is long enough, as peers syncing different
// stretches would ask. Before the clock starts, each locator's reply is fetched once, decoded
// and checked (it continues from its locator and holds the run the chain has there). Every
// timed reply is then verified as a peer verifies it: the decoder checks its frame checksum (a
// full SHA3d pass over its 288 KB), and its payload must equal the checked reply byte for byte.
//
// The figure is headers received per second of wall clock, from the first request to the last
// reply of every connection; with NODE_PID also the node's CPU time over the same span.
import DilithionSystem
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// One locator's request, encoded once, and the reply it must get.
struct HeadersRun: Sendable {
    let request: [UInt8]
    let reply: [UInt8]
    let headerCount: Int
}

/// Bytes read per `read` by the timed connections (a reply of 2,000 headers is 288 KB).
let getheadersReadSize = 512 * 1024

/// `count` start heights spread evenly over `0...maxStart` (fewer when the chain is short).
func spreadStartHeights(_ count: Int, maxStart: Int) -> [Int] {
    guard count > 1, maxStart > 0 else { return [0] }
    var heights = [Int]()
    for index in 0..<count {
        let height = maxStart * index / (count - 1)
        if heights.last != height { heights.append(height) }
    }
    return heights
}

/// Fetches and checks each locator's reply on `peer`: it decodes, continues from the locator's
/// block and holds the chain's next headers (`hashes[i]` is the hash at height i + 1).
func prepareHeadersRuns(_ peer: inout WirePeer, startHeights: [Int], hashes: [Hash256]) -> [HeadersRun] {
    startHeights.map { start in
        let locator = start == 0 ? parameters.genesisHash : hashes[start - 1]
        let request = FrameEncoder.encode(.getheaders(GetHeadersMessage(locator: [locator])), magic: network.magic)
        peer.write(request)
        let frame = peer.receive(Command.headers)
        guard case .headers(let headers)? = try? Message.decode(frame) else { fail("getheaders: undecodable headers reply") }
        let expected = min(Limits.maxHeaders, hashes.count - start)
        guard headers.count == expected, expected > 0, headers[0].previousBlockHash == locator,
              (try? headers[expected - 1].hash()) == hashes[start + expected - 1]
        else { fail("getheaders: the reply to the locator at height \(start) is not the chain's next \(expected) headers") }
        return HeadersRun(request: request, reply: frame.payload, headerCount: expected)
    }
}

/// Sends `replies` requests over `peer`, `inFlight` outstanding, taking the runs in turn from
/// `firstRun`; checks every reply against its run. Returns headers and wire bytes received.
func streamHeaders(_ peer: inout WirePeer, runs: [HeadersRun], firstRun: Int, replies: Int, inFlight: Int) -> (headers: Int, bytes: Int) {
    var headers = 0, bytes = 0
    var sent = 0
    func sendNext(_ peer: inout WirePeer) {
        peer.write(runs[(firstRun + sent) % runs.count].request)
        sent += 1
    }
    for _ in 0..<min(inFlight, replies) { sendNext(&peer) }
    for index in 0..<replies {
        if sent < replies { sendNext(&peer) }
        // The node answers a connection's requests in order: reply `index` is run firstRun + index's.
        let run = runs[(firstRun + index) % runs.count]
        let frame = peer.receive(Command.headers)  // its checksum verified by the decoder
        let same = frame.payloadCount == run.reply.count && frame.withUnsafePayload { got in
            run.reply.withUnsafeBytes { memcmp(got.baseAddress!, $0.baseAddress!, got.count) == 0 }
        }
        guard same else { fail("getheaders: a reply differs from the checked one for its locator") }
        headers += run.headerCount
        bytes += frame.wireSize
    }
    return (headers, bytes)
}

/// Totals of the streaming threads (each adds its own once, at its end).
final class HeadersTally: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var headers = 0  // guarded by lock
    private var bytes = 0  // guarded by lock

    func add(headers: Int, bytes: Int) { lock.withLock { self.headers += headers; self.bytes += bytes } }
    var totals: (headers: Int, bytes: Int) { lock.withLock { (headers, bytes) } }
}

/// Runs the measurement and prints "connections=C in_flight=F locators=L per_reply=H
/// headers_per_s=R mbs=M [node_cpu_s=S headers_per_node_cpu_s=N]".
func getheadersBench(port: UInt16, replies: Int, pid: Int32?, connections: Int, inFlight: Int, locators: Int) {
    var peers = handshakenPeers(port: port, count: connections)
    let hashes = activeChainHashes(&peers[0])
    guard !hashes.isEmpty else { fail("getheaders: the node has no blocks above genesis") }
    let startHeights = spreadStartHeights(locators, maxStart: max(0, hashes.count - Limits.maxHeaders))
    let runs = prepareHeadersRuns(&peers[0], startHeights: startHeights, hashes: hashes)
    let tally = HeadersTally()
    let cpuStart = pid.map(processCPUNanoseconds) ?? 0
    let start = MonotonicClock.nanoseconds()
    let threads = peers.enumerated().map { index, peer in
        // Replies split as evenly as the count allows; connection i starts at run i.
        let share = replies / connections + (index < replies % connections ? 1 : 0)
        return NativeThread(name: "getheaders-\(index)") {
            var peer = peer
            peer.readBuffer = [UInt8](repeating: 0, count: getheadersReadSize)
            let result = streamHeaders(&peer, runs: runs, firstRun: index, replies: share, inFlight: inFlight)
            tally.add(headers: result.headers, bytes: result.bytes)
        }
    }
    for thread in threads { thread.join() }
    let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
    let nodeCPU = pid.map { Double(processCPUNanoseconds($0) - cpuStart) / 1e9 }
    for peer in peers { peer.closeReset() }
    let (headers, bytes) = tally.totals
    var line = "connections=\(connections) in_flight=\(inFlight) locators=\(runs.count) per_reply=\(runs[0].headerCount) "
        + "headers_per_s=\(format(Double(headers) / seconds)) mbs=\(format(Double(bytes) / seconds / 1e6))"
    if let nodeCPU, nodeCPU > 0 {
        // Headers per second of the node's CPU (all threads): what one core of the node serves,
        // whatever the client and the machine's other load take.
        line += " node_cpu_s=\(format(nodeCPU)) headers_per_node_cpu_s=\(format(Double(headers) / nodeCPU))"
    }
    print(line)
}
