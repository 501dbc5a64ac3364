@testable import DilithionNode
import Testing
@testable import DilithionNodeOps
@testable import DilithionOps

@Suite struct PrometheusTests {
    @Test func escapesLabelValuesAndHelp() {
        var text = PrometheusText()
        text.family("x_total", type: .counter, help: "back\\slash\nnewline")
        text.sample("x_total", labels: [("reason", "a\"b\\c\nd")], value: 3)
        #expect(text.text == "# HELP x_total back\\\\slash\\nnewline\n# TYPE x_total counter\nx_total{reason=\"a\\\"b\\\\c\\nd\"} 3\n")
    }

    @Test func formatsSpecialValues() {
        #expect(PrometheusText.format(.nan) == "NaN")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(2) == "2")
        #expect(PrometheusText.format(0.25) == "0.25")
    }

    @Test func histogramsAreCumulative() {
        var text = PrometheusText()
        text.histogram("h", help: "h", buckets: [0.1, 1], observations: [0.05, 0.5, 0.7, 5])
        #expect(text.text.contains("h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_sum 6.25\nh_count 4\n"))
    }

    @Test func rendersASnapshotWithEveryFamilyOnce() {
        let snapshot = NodeMetricsSnapshot(
            peersByDirectionAndState: ["inbound/established": 2, "outbound/connecting": 1, "established": 2],
            bytesReceivedByCommand: ["block": 1000, "ping": 8], bytesSentByCommand: ["pong": 8],
            messagesReceivedByCommand: ["block": 1], messagesSentByCommand: ["pong": 1],
            bytesReceivedTotalByCommand: ["block": 5000], bytesSentTotalByCommand: ["pong": 64],
            messagesReceivedTotalByCommand: ["block": 5], messagesSentTotalByCommand: ["pong": 2], handshakeSeconds: [0.002, 0.3],
            disconnectsByReason: ["timeout": 4], misbehaviourByReason: ["bad-header": 1],
            frameErrorsByKind: ["bad-command/non-printable": 2, "bad-checksum": 5], ignoredByReason: ["unknown-command": 7],
            acceptFailuresByReason: ["process-fd-limit": 3], bans: 1, inboxBytes: 10,
            outboxBytes: 20, dispatcherQueueDepth: 3, tipHeight: 100, headersHeight: 200, ibdProgress: 0.5,
            blocksPerSecond: 12.5, storeBytes: 4096, storeBlocks: 101, uptimeSeconds: 60)
        let text = snapshot.prometheusText
        #expect(text.contains("dilithion_peers{direction=\"inbound\",state=\"established\"} 2\n"))
        #expect(text.contains("dilithion_peers{direction=\"outbound\",state=\"connecting\"} 1\n"))
        #expect(text.contains("dilithion_peers_handshaked 2\n"))
        #expect(text.contains("dilithion_peer_bytes_received{command=\"block\"} 1000\n"))
        #expect(text.contains("dilithion_disconnects_total{reason=\"timeout\"} 4\n"))
        #expect(text.contains("# TYPE dilithion_bytes_received_total counter\ndilithion_bytes_received_total{command=\"block\"} 5000\n"))
        #expect(text.contains("dilithion_messages_sent_total{command=\"pong\"} 2\n"))
        #expect(text.contains("dilithion_frame_errors_total{kind=\"bad-command/non-printable\"} 2\n"))
        #expect(text.contains("dilithion_messages_ignored_total{reason=\"unknown-command\"} 7\n"))
        #expect(text.contains("# TYPE dilithion_accept_failures_total counter\ndilithion_accept_failures_total{reason=\"process-fd-limit\"} 3\n"))
        #expect(text.contains("dilithion_handshake_duration_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(text.contains("dilithion_handshake_duration_seconds_count 2\n"))
        #expect(text.contains("dilithion_ibd_progress_ratio 0.5\n"))
        #expect(text.contains("dilithion_blocks_per_second 12.5\n"))
        #expect(text.contains("dilithion_store_blocks 101\n"))
        // Every line is a comment or `name{labels} value`; every family has exactly one TYPE line.
        var types: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { types[String(line.split(separator: " ")[2]), default: 0] += 1; continue }
            if line.hasPrefix("# HELP ") { continue }
            let parts = line.split(separator: " ")
            #expect(parts.count == 2, "bad sample line: \(line)")
            #expect(Double(parts[1]) != nil || parts[1] == "NaN", "bad value: \(line)")
        }
        #expect(types.values.allSatisfy { $0 == 1 })
        #expect(types.count >= 25)
    }

    @Test func processStatisticsAreReadFromProcAndRendered() throws {
        let statistics = try #require(ProcessStatistics.current())
        #expect(statistics.residentBytes > 1_000_000, "a Swift test process has more than 1 MB resident")
        #expect(statistics.openDescriptors >= 3, "at least stdin, stdout and stderr")
        #expect(statistics.maxDescriptors >= statistics.openDescriptors)
        let text = ProcessStatistics(residentBytes: 4096, openDescriptors: 12, maxDescriptors: 1024, cpuSeconds: 1.5).prometheusText
        #expect(text.contains("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 4096\n"))
        #expect(text.contains("process_open_fds 12\n"))
        #expect(text.contains("process_max_fds 1024\n"))
        #expect(text.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"))
    }
}
