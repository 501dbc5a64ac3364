// RandomX measurements for scripts/bench (issue 14): in one mode (light or full), the preparation
// time (cache; in full mode the 2 GiB dataset built by every thread), raw hashes per second on one
// thread and on all threads, and legacy headers per second through the whole pipeline (pre-check,
// hashing service, header tree) on a legacy regtest chain, fresh and replayed. Prints one line of
// key=value pairs.
//
// usage: RandomXBench light|full [--threads N] [--hashes N] [--headers N] [--chain FILE]
//   --chain FILE: the legacy regtest chain (one 80-byte header in hex per line); made and written
//   there when missing (mining costs about two hashes per header, slow in light mode).

import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionRandomX
import DilithionSystem
import DilithionTestKit
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = Array("RandomXBench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func cpuSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A value handed to other threads that only use it one at a time (one machine per thread).
struct Handed<Value>: @unchecked Sendable {
    let value: Value
}

/// Runs `body(index)` on `count` threads at once and waits for all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = (0..<count).map { index in NativeThread { body(index) } }
    for thread in threads { thread.join() }
}

/// Distinct 80-byte inputs (a legacy header with a running nonce).
func input(_ index: Int) -> [UInt8] {
    var header = LegacyRegtestGenesis.block.header
    header.nonce = UInt32(truncatingIfNeeded: index)
    header.time &+= UInt32(truncatingIfNeeded: index >> 32)
    return header.serialized
}

/// One machine as a chain generator's hasher (mining runs on this thread only).
struct MachineHasher: LegacyHeaderHasher, @unchecked Sendable {
    let machine: RandomXMachine
    func hash(legacyHeader: [UInt8]) -> Hash256 { machine.hash(legacyHeader) }
}

func runBench() {
    // MARK: Options

    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let modeText = arguments.first, let mode = RandomXMode(rawValue: modeText), mode != .auto else {
        fail("usage: RandomXBench light|full [--threads N] [--hashes N] [--headers N] [--chain FILE]")
    }
    arguments.removeFirst()
    var threads = 2
    var hashCount = mode == .full ? 20_000 : 400
    var headerCount = 2000
    var chainPath: String?
    while !arguments.isEmpty {
        let option = arguments.removeFirst()
        guard !arguments.isEmpty else { fail("\(option) needs a value") }
        let value = arguments.removeFirst()
        switch option {
        case "--threads": threads = Int(value) ?? 0
        case "--hashes": hashCount = Int(value) ?? 0
        case "--headers": headerCount = Int(value) ?? 0
        case "--chain": chainPath = value
        default: fail("unknown option \(option)")
        }
    }
    guard threads >= 1, hashCount >= 1, headerCount >= 1 else { fail("counts must be positive") }
    let (threadCount, hashesPerThread) = (threads, hashCount)

    // MARK: Preparation

    let engine = RandomXEngine(mode: mode)
    var started = MonotonicClock.now()
    var cpuStarted = cpuSeconds()
    engine.prepareCache()
    let cacheSeconds = MonotonicClock.now() - started
    let cacheCPUSeconds = cpuSeconds() - cpuStarted
    guard engine.mode == mode else { fail("full mode fell back to light: the dataset could not be allocated") }
    started = MonotonicClock.now()
    cpuStarted = cpuSeconds()
    onThreads(threadCount) { engine.buildDataset(share: $0, of: threadCount) }
    engine.finishPreparation()
    let datasetSeconds = MonotonicClock.now() - started
    let datasetCPUSeconds = cpuSeconds() - cpuStarted

    // MARK: Raw hashes per second

    let oneMachine = engine.makeMachine()
    _ = oneMachine.hash(input(0))  // warm-up (JIT, scratchpad)
    started = MonotonicClock.now()
    cpuStarted = cpuSeconds()
    for index in 0..<hashCount { _ = oneMachine.hash(input(index)) }
    let singleRate = Double(hashCount) / (MonotonicClock.now() - started)
    let cpuPerHash = (cpuSeconds() - cpuStarted) / Double(hashCount)

    let machines = (0..<threads).map { _ in Handed(value: engine.makeMachine()) }
    for machine in machines { _ = machine.value.hash(input(0)) }
    started = MonotonicClock.now()
    onThreads(threadCount) { thread in
        for index in 0..<hashesPerThread { _ = machines[thread].value.hash(input(thread * hashesPerThread + index)) }
    }
    let allRate = Double(hashCount * threads) / (MonotonicClock.now() - started)

    // MARK: The legacy regtest chain

    func loadChain(_ path: String) -> [BlockHeader]? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var headers = [BlockHeader]()
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let bytes = HexCoding.decode(text), bytes.count == 80 else { return nil }
            var reader = ByteReader(bytes)
            guard let header = try? BlockHeader.read(from: &reader) else { return nil }
            headers.append(header)
        }
        return headers
    }

    var chain = chainPath.flatMap(loadChain) ?? []
    if chain.count < headerCount {
        let genesis = LegacyRegtestGenesis.block.header
        chain = LegacyChainGenerator(hasher: MachineHasher(machine: oneMachine)).makeHeaders(
            after: LegacyRegtestGenesis.expectedHash, height: 0, time: genesis.time, count: headerCount
        ).map(\.header)
        if let chainPath, let file = fopen(chainPath, "w") {
            for header in chain { fputs(HexCoding.encode(header.serialized) + "\n", file) }
            fclose(file)
        }
    }
    chain = Array(chain.prefix(headerCount))

    // MARK: Headers per second through the pipeline

    let sink = HeaderTreeSink(
        configuration: .legacyRegtest(legacyHasher: nil), genesis: LegacyRegtestGenesis.block.header,
        genesisHash: LegacyRegtestGenesis.expectedHash, now: Int64(chain.last?.time ?? 0) + 3600)
    let service = HeaderHashingService(
        backend: RandomXBackend(engine: engine),
        configuration: HashingConfiguration(workers: threads, budgetPerSecond: 1_000_000_000, budgetBurst: 1_000_000_000),
        clock: SystemClock())
    let pipeline = HeaderBatchPipeline(service: service, sink: sink)

    /// Sends the chain in `headers` messages of 2,000, one after another; returns headers per second
    /// and the process CPU seconds spent.
    func syncChain() -> (rate: Double, cpu: Double) {
        let cpuBefore = cpuSeconds()
        let begin = MonotonicClock.now()
        var offset = 0
        while offset < chain.count {
            let message = Array(chain[offset..<min(offset + 2000, chain.count)])
            let delivered = OneShot<HeaderBatchResult>()
            pipeline.process(message, from: HashSubmitter(1)) { delivered.deliver($0) }
            guard let result = delivered.wait(hangGuardSeconds: .infinity) else { fail("the pipeline never answered") }
            guard result.rejection == nil, !result.cancelled else { fail("the chain was refused: \(result)") }
            offset += message.count
        }
        let elapsed = MonotonicClock.now() - begin
        return (Double(chain.count) / elapsed, cpuSeconds() - cpuBefore)
    }

    let fresh = syncChain()
    guard sink.bestHeight == chain.count else { fail("the tree holds \(sink.bestHeight) of \(chain.count) headers") }
    let replay = syncChain()
    let statistics = service.statistics()
    service.stop()

    print(
        "mode=\(mode.rawValue) threads=\(threads) cache_s=\(cacheSeconds) cache_cpu_s=\(cacheCPUSeconds) dataset_s=\(datasetSeconds)"
            + " dataset_cpu_s=\(datasetCPUSeconds) hps_1=\(singleRate) cpu_ms_per_hash=\(cpuPerHash * 1000)"
            + " hps_all=\(allRate) headers=\(chain.count) sync_hps=\(fresh.rate) sync_cpu_s=\(fresh.cpu)"
            + " replay_hps=\(replay.rate) hashes=\(statistics.hashesComputed) avoided=\(statistics.hashesAvoided)")
}

runBench()
