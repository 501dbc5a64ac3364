// Swift side of scripts/bench-engine: a Engine on 127.0.0.1:PORT speaking the benchmark
// protocol of bench/c-reference/engine_ref.c ("msg" counted, "lat" → latency sample + "pong",
// "done" → "stats"(count, p50 ns, p99 ns), "quit" → exit). Usage: EngineBench PORT
import DilithionNet
import DilithionSystem
import DilithionWire
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Benchmark state; touched only by the dispatcher thread (handlers run there one at a time).
final class BenchState: @unchecked Sendable {
    var messages: UInt64 = 0
    var latencies: [UInt64] = []
    let quit = PThreadMutex()
    let quitCondition = ConditionVariable()
    var quitRequested = false  // guarded by quit
}

guard CommandLine.arguments.count == 2, let port = UInt16(CommandLine.arguments[1]) else {
    print("usage: EngineBench PORT")
    exit(2)
}
let state = BenchState()
var handlers = MessageHandlers()
handlers.register("msg") { _, _ in state.messages += 1 }
handlers.register("lat") { context, frame in
    let now = MonotonicClock.nanoseconds()
    let sent = frame.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    state.latencies.append(now &- sent)
    context.send(command: "pong", payload: [])
}
handlers.register("done") { context, _ in
    var stats: [UInt64] = [state.messages, 0, 0]
    if !state.latencies.isEmpty {
        let sorted = state.latencies.sorted()
        stats[1] = sorted[sorted.count / 2]
        stats[2] = sorted[sorted.count * 99 / 100]
    }
    state.messages = 0
    state.latencies.removeAll()
    context.send(command: "stats", payload: stats.withUnsafeBytes { Array($0) })
}
handlers.register("quit") { _, _ in
    state.quit.withLock {
        state.quitRequested = true
        state.quitCondition.signal()
    }
}
let configuration = EngineConfiguration(network: .regtest, listenAddresses: [.ipv4Loopback(port: port)])
let engine = try Engine(
    configuration: configuration, handlers: handlers, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
try engine.start()
print("ready")
fflush(nil)  // the script waits for this line through a pipe (flushes every stream)
state.quit.withLock {
    while !state.quitRequested { state.quitCondition.wait(state.quit) }
}
engine.stop()
