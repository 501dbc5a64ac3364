// `NodeBench serve`: what serving blocks costs the node. Several peers sync the node's whole chain at
// once, as newcomers doing IBD from a seed would: each asks for every block by `getdata` and keeps a
// window of blocks in flight. The node's CPU time (all threads, schedstat) is read after the
// handshakes and the header download and again when the last block arrived; the figure is
// CPU-seconds per GB of `block` frames sent. Every frame is decoded, so its checksum is verified here.
import DilithionSystem
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// Blocks each peer keeps requested and not yet received (the C++ node's per-peer window is 32).
let servingWindow = 32

/// Every block hash of the node's active chain above genesis, in height order, from `getheaders`.
func activeChainHashes(_ peer: inout WirePeer) -> [Hash256] {
    var hashes = [Hash256]()
    var locator = parameters.genesisHash
    while true {
        peer.send(.getheaders(GetHeadersMessage(locator: [locator])))
        guard case .headers(let headers)? = try? Message.decode(peer.receive(Command.headers)) else {
            fail("serve: undecodable headers reply")
        }
        for header in headers {
            guard let hash = try? header.hash() else { fail("serve: a legacy header on regtest") }
            hashes.append(hash)
        }
        guard headers.count == Limits.maxHeaders, let last = hashes.last else { return hashes }
        locator = last
    }
}

/// Runs the serving measurement and prints "peers=P blocks=B bytes=N seconds=S mbs=M node_cpu_s=C
/// node_cpu_s_per_gb=G".
func serveBench(port: UInt16, pid: Int32, peerCount: Int) {
    var peers = handshakenPeers(port: port, count: peerCount)
    let hashes = activeChainHashes(&peers[0])
    guard !hashes.isEmpty else { fail("serve: the node has no blocks above genesis") }
    var nextToAsk = [Int](repeating: 0, count: peerCount)
    var received = [Int](repeating: 0, count: peerCount)
    var bytes = 0
    var polls = peers.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    func ask(_ index: Int, upTo limit: Int) {
        let end = min(hashes.count, limit)
        guard nextToAsk[index] < end else { return }
        let items = hashes[nextToAsk[index]..<end].map { InventoryItem(type: InventoryItem.Kind.block.rawValue, hash: $0) }
        peers[index].send(.getdata(items))
        nextToAsk[index] = end
    }

    let cpuBefore = processCPUNanoseconds(pid)
    let start = MonotonicClock.nanoseconds()
    for index in 0..<peerCount { ask(index, upTo: servingWindow) }
    var done = 0
    while done < peerCount {
        guard poll(&polls, nfds_t(polls.count), 30_000) > 0 else { fail("serve: no block for 30 s") }
        for index in polls.indices where polls[index].revents != 0 {
            polls[index].revents = 0
            let got = buffer.withUnsafeMutableBytes { read(polls[index].fd, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { fail("serve: the node closed peer \(index)") }
            buffer.withUnsafeBytes { peers[index].decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            while true {
                let frame: Frame?
                do {
                    frame = try peers[index].decoder.nextFrame()
                } catch {
                    fail("serve: bad frame from the node: \(error)")
                }
                guard let frame else { break }
                if frame.command == Command.ping, case .ping(let nonce)? = try? Message.decode(frame) {
                    peers[index].send(.pong(nonce: nonce))
                }
                guard frame.command == Command.block else { continue }
                received[index] += 1
                bytes += frame.wireSize
                if received[index] == hashes.count { done += 1 }
                // Ask for the next half window once half of it arrived: few, larger getdata.
                if nextToAsk[index] - received[index] <= servingWindow / 2 {
                    ask(index, upTo: received[index] + servingWindow)
                }
            }
        }
    }
    let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
    let cpu = Double(processCPUNanoseconds(pid) - cpuBefore) / 1e9
    for peer in peers { peer.closeReset() }
    print("peers=\(peerCount) blocks=\(hashes.count) bytes=\(bytes) seconds=\(format(seconds)) "
          + "mbs=\(format(Double(bytes) / seconds / 1e6)) node_cpu_s=\(format(cpu)) "
          + "node_cpu_s_per_gb=\(format(cpu / (Double(bytes) / 1e9)))")
}
