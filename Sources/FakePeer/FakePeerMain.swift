// `fakepeer`: a stand-alone raw P2P peer for the reliability scripts (RELIABILITY.md §5). It frames
// with DilithionWire, so what it sends is byte-for-byte what the node's own codec would send, except
// where the command line asks for raw bytes. Loopback addresses only.
#if canImport(Glibc)
import Glibc
#endif

@main
struct FakePeerMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(FakePeerOptions.usage)
            return
        }
        let options: FakePeerOptions
        switch FakePeerOptions.parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let error):
            let text = "fakepeer: \(error.text)\n\(FakePeerOptions.usage)\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
            exit(2)
        }
        var connected = 0
        var failedToConnect = 0
        var closedByNode = 0
        var pongs = 0
        var roundTrips: [Double] = []
        for _ in 0..<options.repeatCount {
            let session = FakePeerSession(options: options)
            guard let report = session.run() else {
                failedToConnect += 1
                continue
            }
            connected += 1
            if report.closedByNode { closedByNode += 1 }
            pongs += report.pongs
            roundTrips += report.roundTripsMilliseconds
            if !options.quiet { print(report.json) }
        }
        roundTrips.sort()
        let p99 = roundTrips.isEmpty ? "null" : String(roundTrips[min(roundTrips.count - 1, Int(Double(roundTrips.count - 1) * 0.99))])
        print("{\"summary\":true,\"sessions\":\(options.repeatCount),\"connected\":\(connected),\"connect_failed\":\(failedToConnect)"
            + ",\"closed_by_node\":\(closedByNode),\"pongs\":\(pongs),\"rtt_ms_p99\":\(p99)}")
        exit(connected == 0 ? 1 : 0)
    }
}
