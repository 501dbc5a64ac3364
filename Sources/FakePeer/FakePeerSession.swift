import DilithionTestKit
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// One connection of `fakepeer`: connect, optional handshake, the payloads (chunked and paced),
/// the pings, the hold, and the chosen ending, all through the test kit's ``FakePeer``.
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
        /// Free headers sent (``FreeHeaderAttack``), and why the attack stopped early.
        var freeHeadersSent = 0
        var freeHeadersFailure: String?
        /// Blocks the node asked this peer for with `getdata` (answered by nothing).
        var blocksRequested = 0

        var json: String {
            let sorted = roundTripsMilliseconds.sorted()
            func percentile(_ p: Double) -> String {
                guard !sorted.isEmpty else { return "null" }
                let index = min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))
                return String(sorted[index])
            }
            return "{\"connected\":\(connected),\"handshake\":\(handshakeComplete),\"bytes_sent\":\(bytesSent)"
                + ",\"frames_received\":\(framesReceived),\"pongs\":\(pongs),\"rtt_ms_p50\":\(percentile(0.5))"
                + ",\"rtt_ms_p99\":\(percentile(0.99)),\"closed_by_node\":\(closedByNode),\"send_failed\":\(sendFailed)"
                + ",\"free_headers_sent\":\(freeHeadersSent),\"blocks_requested\":\(blocksRequested)"
                + ",\"free_headers_failure\":\(freeHeadersFailure.map { "\"\($0)\"" } ?? "null")}"
        }

        /// The peer's counters as they are now.
        init(_ peer: FakePeer?, handshakeComplete: Bool) {
            guard let peer else { return }
            connected = true
            self.handshakeComplete = handshakeComplete
            bytesSent = peer.bytesSent
            framesReceived = peer.framesReceived
            pongs = peer.pongsReceived
            roundTripsMilliseconds = peer.roundTripsMilliseconds
            closedByNode = peer.isClosedByRemote
            sendFailed = peer.sendFailed
        }
    }

    let options: FakePeerOptions

    init(options: FakePeerOptions) {
        self.options = options
    }

    /// Runs the session; returns its report (or nil when the connection could not be made).
    func run() -> Report? {
        guard let peer = try? FakePeer(host: options.host, port: options.port, network: options.network, sourceHost: options.sourceHost)
        else { return nil }
        peer.answersPings = true
        var handshakeComplete = false
        if options.handshake {
            let version = FakePeer.makeVersion(network: options.network, port: options.port, userAgent: "/fakepeer/")
            handshakeComplete = peer.handshake(version: version, timeout: 10).isComplete
        }
        var attack: FreeHeaderAttack.Outcome?
        if let free = options.freeHeaders, handshakeComplete {
            attack = FreeHeaderAttack(forkHeight: free.forkHeight, count: free.count).run(on: peer, network: options.network)
        }
        if options.stopReading { peer.stopReading() }
        let pace = Duration.milliseconds(options.paceMilliseconds)
        for payload in options.payloads {
            switch payload {
            case .raw(let bytes): peer.send(bytes: bytes, chunkSize: options.chunkSize, pace: pace)
            case .frame(let command, let body): peer.sendFrame(command: command, payload: body, chunkSize: options.chunkSize, pace: pace)
            }
        }
        for index in 0..<options.pings {
            peer.sendPing(nonce: UInt64(index + 1) | 0x5EED_0000_0000_0000)
            // Wait by reading, so that a pong is timed when it arrives, not after the pause.
            let pause = options.pingIntervalMilliseconds > 0 ? options.pingIntervalMilliseconds : options.paceMilliseconds
            _ = peer.receive(for: Double(pause) / 1000)
        }
        let requested = hold(peer)
        var report = Report(peer, handshakeComplete: handshakeComplete)
        report.freeHeadersSent = attack?.sentHeaders ?? 0
        report.freeHeadersFailure = attack?.failure
        report.blocksRequested = requested
        end(peer, report: report)
        return report
    }

    /// Stays connected for the hold time (reading unless told not to), then waits briefly for the
    /// late pongs of a flood. Returns the blocks the node asked for meanwhile.
    private func hold(_ peer: FakePeer) -> Int {
        var frames = peer.receive(for: options.holdSeconds).frames
        if options.pings > 0 && peer.pongsReceived < options.pings && !peer.isClosedByRemote && peer.isReading {
            frames += peer.receive(for: 0.5).frames
        }
        return frames.reduce(0) { total, frame in
            guard case .getdata(let items)? = try? Message.decode(frame) else { return total }
            return total + items.filter { $0.kind == .block }.count
        }
    }

    private func end(_ peer: FakePeer, report: Report) {
        switch options.ending {
        case .close:
            peer.close()
        case .halfClose:
            peer.halfClose()
            if peer.isReading { _ = peer.receive(for: max(1, options.holdSeconds)) }
            peer.close()
        case .reset:
            peer.reset()
        case .exit:
            // Unbuffered: _exit skips stdio's flush; the kernel closes the socket as for a killed process.
            let line = report.json + "\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
            _exit(0)
        }
    }
}
