import DilithionNet
import DilithionSystem
import DilithionTestKit
import DilithionWire
import XCTest

/// Resource behaviour: churn, many descriptors, descriptor exhaustion, idleness.
final class LoadTests: XCTestCase {
    /// 1,000 connect/disconnect cycles (alternating remote close, local disconnect, mid-frame close);
    /// afterwards the peer table is empty and the process holds exactly the descriptors it held before.
    func testConnectionChurnReturnsDescriptorsToBaseline() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers())
        defer { harness.engine.stop() }
        let baseline = openDescriptorCount()
        let baselineTargets = openDescriptorTargets()
        let cycles = 1_000
        let batch = 50
        var cycle = 0
        while cycle < cycles {
            let clients = try (0..<batch).map { _ in try harness.client() }
            let connectsBefore = cycle
            XCTAssertTrue(recorder.wait { $0.connects.count == connectsBefore + batch })
            let peers = recorder.connects[connectsBefore...].map(\.0)
            for (index, client) in clients.enumerated() {
                switch (cycle + index) % 3 {
                case 0:
                    client.close()
                case 1:
                    harness.engine.disconnect(peers[index], reason: .localRequest)
                default:
                    client.sendRaw([0xDA, 0xB5, 0xBF])  // half a header, then close
                    client.close()
                }
            }
            cycle += batch
            let expected = cycle
            XCTAssertTrue(recorder.wait { $0.disconnects.count == expected })
            clients.forEach { $0.close() }
        }
        XCTAssertEqual(harness.engine.peerIDs.count, 0)
        XCTAssertEqual(harness.engine.statistics.reactor.openConnections, 0)
        XCTAssertEqual(openDescriptorCount(), baseline, "before: \(baselineTargets), now: \(openDescriptorTargets())")
        let disconnects = harness.engine.statistics.disconnects
        XCTAssertEqual(disconnects.values.reduce(0, +), cycles)
        XCTAssertEqual(Set(disconnects.keys), [.peerClosed, .localRequest])
    }

    /// More than FD_SETSIZE (1024) simultaneous connections: descriptors above 1024 work, which
    /// `select()` could not do.
    func testMoreThan1024SimultaneousConnections() throws {
        ProcessLimits.raiseFileDescriptorLimit()
        try XCTSkipIf(ProcessLimits.fileDescriptorSoftLimit < 2_400, "RLIMIT_NOFILE hard limit too low")
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("ping") { context, frame in context.send(command: "pong", payload: frame.payload) }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let count = 1_100
        var clients: [TestClient] = []
        for _ in 0..<count { clients.append(try harness.client()) }
        XCTAssertTrue(recorder.wait { $0.connects.count == count })
        XCTAssertGreaterThan(clients.last!.fd, 1024)
        // The connect event is posted when the connection is admitted, a moment before the reactor
        // registers it: wait for the counter rather than read it once.
        XCTAssertTrue(eventually { harness.engine.statistics.reactor.openConnections == count })
        XCTAssertEqual(harness.engine.statistics.reactor.openConnections, count)
        // Every connection works; the last ones have descriptors above 1024 on both ends.
        for (index, client) in clients.enumerated() {
            client.send(command: "ping", payload: sequencePayload(index))
        }
        for (index, client) in clients.enumerated() {
            XCTAssertEqual(client.readFrame().map { sequenceNumber($0.payload) }, index)
        }
        clients.forEach { $0.close() }
        XCTAssertTrue(recorder.wait { $0.disconnects.count == count })
    }

    /// With the descriptor limit exhausted, `accept` fails with EMFILE; the listener backs off instead
    /// of spinning, and accepts the waiting connections once descriptors are free again.
    func testAcceptBacksOffOnEMFILEAndRecovers() throws {
        let recorder = Recorder()
        let harness = try EngineHarness(handlers: recorder.handlers()) { $0.acceptBackoff = .milliseconds(20) }
        defer { harness.engine.stop() }
        let exhaustion = DescriptorExhaustion(connecting: 5, to: harness.address)
        XCTAssertTrue(eventually { harness.engine.statistics.reactor.acceptBackoffs >= 3 })
        let exhausted = harness.engine.statistics.reactor
        // Each EMFILE turned into one back-off; the listener is not called in between (no spin).
        XCTAssertLessThanOrEqual(exhausted.acceptCallbacks, exhausted.acceptBackoffs + 1)
        XCTAssertEqual(exhausted.accepted, 0)
        exhaustion.release()
        XCTAssertTrue(recorder.wait { $0.connects.count == exhaustion.sockets.count })
        // As in the 1,100-connection test: the connect event is posted at admission, a moment
        // before the reactor counts the connection as accepted.
        XCTAssertTrue(eventually { harness.engine.statistics.reactor.accepted == exhaustion.sockets.count })
        XCTAssertEqual(harness.engine.statistics.reactor.accepted, exhaustion.sockets.count)
    }

    /// A connection storm at the descriptor limit leaves a trace for the operator: every failed
    /// `accept` is counted by kind, and the log gets the first failure at once and then at most one
    /// line per interval of engine time, each line saying how many failures it stands for. The
    /// interval runs on the manual clock, so "no second line yet" and "a line after the interval"
    /// are decided by the test, not by how fast the back-off timer fires.
    func testAcceptFailuresAreCountedAndLoggedAtMostOncePerInterval() throws {
        let recorder = Recorder()
        let capture = LogCapture()
        let harness = try EngineHarness(handlers: recorder.handlers(), logger: capture.logger) {
            $0.acceptBackoff = .milliseconds(20)
            $0.acceptFailureLogInterval = .seconds(10)
        }
        defer { harness.engine.stop() }
        func failureLines() -> [LogCapture.Line] { capture.lines.filter { $0.message.hasPrefix("accept failed") } }
        func failures() -> Int { harness.engine.statistics.acceptFailures[.processDescriptorLimit] ?? 0 }
        let exhaustion = DescriptorExhaustion(connecting: 5, to: harness.address)
        XCTAssertTrue(eventually { failures() >= 3 })
        // The first failure was logged before the second one happened (both on the reactor thread).
        XCTAssertEqual(failureLines().count, 1, "one line for the first failures: \(failureLines().map(\.metadata))")
        let first = try XCTUnwrap(failureLines().first)
        XCTAssertEqual(first.metadata["reason"], "process-fd-limit")
        XCTAssertEqual(first.metadata["errno"], "EMFILE")
        XCTAssertEqual(first.metadata["failures"], "1")
        XCTAssertEqual(first.metadata["retry_ms"], "20")
        harness.clock.advance(by: .seconds(10))
        XCTAssertTrue(eventually { failureLines().count == 2 }, "the next failure after the interval is logged")
        // Recover, so that no failure follows the counts read below.
        exhaustion.release()
        XCTAssertTrue(recorder.wait { $0.connects.count == exhaustion.sockets.count })
        let lines = failureLines()
        XCTAssertEqual(lines.count, 2, "nothing more within the interval")
        let reported = lines.compactMap { $0.metadata["failures"].flatMap(Int.init) }
        XCTAssertEqual(reported.count, 2)
        XCTAssertGreaterThanOrEqual(reported.last ?? 0, 2, "the second line counts the failures held back")
        XCTAssertLessThanOrEqual(reported.reduce(0, +), failures(), "lines never report more than happened")
        XCTAssertEqual(harness.engine.statistics.acceptFailures.keys.sorted { $0.reasonCode < $1.reasonCode }, [.processDescriptorLimit])
        XCTAssertEqual(failures(), harness.engine.statistics.reactor.acceptBackoffs, "one count per back-off")
    }

    /// An idle engine with 100 connected peers does nothing, and will do nothing until a peer or
    /// another thread wakes it: its reactor thread sleeps in `epoll_wait` (or `poll`) and its
    /// dispatcher in a futex wait, both with no timeout (read from /proc, see ``ThreadWait``), and no
    /// counter moved while that was observed. No quiet period is watched: a thread with a timer or a
    /// spinning loop never shows such a wait, whatever the scheduling.
    func testIdleEngineWith100PeersSleepsWithoutATimeout() throws {
        #if os(Linux)
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("ping") { context, _ in context.send(command: "pong", payload: []) }
        }
        let reactorsBefore = ThreadWait.threads(named: "dln-reactor")
        let dispatchersBefore = ThreadWait.threads(named: "dln-dispatcher")
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        // A thread names itself when it starts running, so its name can show a moment after start().
        var reactors: Set<Int> = []
        var dispatchers: Set<Int> = []
        XCTAssertTrue(eventually {
            reactors = ThreadWait.threads(named: "dln-reactor").subtracting(reactorsBefore)
            dispatchers = ThreadWait.threads(named: "dln-dispatcher").subtracting(dispatchersBefore)
            return reactors.count == 1 && dispatchers.count == 1
        }, "this engine's reactor and dispatcher threads: \(reactors), \(dispatchers)")
        let engineThreads = reactors.union(dispatchers)
        let clients = try (0..<100).map { _ in try harness.client() }
        XCTAssertTrue(recorder.wait { $0.connects.count == 100 })
        for client in clients { client.send(command: "ping") }
        for client in clients { XCTAssertEqual(client.readFrame()?.command, "pong") }
        var quiet: (before: EngineStatistics, after: EngineStatistics)?
        XCTAssertTrue(eventually {
            let before = harness.engine.statistics
            guard engineThreads.allSatisfy({ ThreadWait.current(ofThread: $0)?.waitsWithoutTimeout == true }) else { return false }
            quiet = (before, harness.engine.statistics)
            // Sleeps too: a condition wait may return with nothing to do (a spurious wakeup, or a
            // signal whose work an earlier pass took), and the dispatcher then sleeps again without
            // a pass; only a moment in which no counter moved shows an idle engine.
            return quiet!.before.reactor == quiet!.after.reactor && quiet!.before.dispatcherPasses == quiet!.after.dispatcherPasses
                && quiet!.before.dispatcherSleeps == quiet!.after.dispatcherSleeps
        }, "the engine's threads never slept without a timeout")
        let (before, after) = try XCTUnwrap(quiet)
        XCTAssertEqual(after.reactor, before.reactor)
        XCTAssertEqual(after.dispatcherPasses, before.dispatcherPasses)
        XCTAssertEqual(after.dispatcherSleeps, before.dispatcherSleeps)
        XCTAssertTrue(after.dispatcherIsAsleep)
        XCTAssertEqual(after.reactor.timerCallbacks, 0)
        #endif
    }

    /// Disconnects racing the dispatcher: handlers send to and disconnect peers while those peers
    /// close from the remote side. Sends to gone peers do nothing; nothing leaks (run under TSan).
    func testDisconnectRacingDispatchLeavesNothingBehind() throws {
        let recorder = Recorder()
        let handlers = recorder.handlers { handlers in
            handlers.register("spam") { context, frame in
                for _ in 0..<8 { context.send(command: "echo", payload: frame.payload) }
                if frame.payload.first == 1 { context.disconnect(reason: .protocolViolation) }
            }
        }
        let harness = try EngineHarness(handlers: handlers)
        defer { harness.engine.stop() }
        let baseline = openDescriptorCount()
        let baselineTargets = openDescriptorTargets()
        let rounds = 200
        for round in 0..<rounds {
            let client = try harness.client()
            for _ in 0..<20 { client.send(command: "spam", payload: [UInt8(round % 2), 0, 0, 0]) }
            client.close()
        }
        XCTAssertTrue(recorder.wait { $0.disconnects.count == rounds })
        XCTAssertEqual(harness.engine.peerIDs.count, 0)
        XCTAssertEqual(openDescriptorCount(), baseline, "before: \(baselineTargets), now: \(openDescriptorTargets())")
        let disconnects = harness.engine.statistics.disconnects
        XCTAssertEqual(disconnects.values.reduce(0, +), rounds)
    }
}
