// Header-spam measurement for scripts/reliability/header-spam (RELIABILITY.md case 24): feeds spam
// headers into a regtest ChainState exactly the way the node's `headers` handler does
// (`ChainState.acceptHeaders(_:now:)`, one call per message of at most 2,000 headers, stopping at the
// first refused header, the sender penalised by the rejection's points) and reports the header-tree
// size, RSS and anonymous (heap) memory before and after, and the acceptance throughput.
//
// The mix (in turn, a third of the headers each):
//   non-connecting  messages of 2,000 headers whose first parent is unknown
//   deep forks      messages of 2,000 headers forking from the first tenth of the honest chain
//   small batches   messages of 1-16 headers forking a little below the tip, never out-working it
// Then a pruning pass past the branches' lifetime (what is left, and the memory returned), and two
// probes on fresh chains, for shapes that the side-branch cap does not cover:
//   tip extension   v4 headers extending the best chain (a header-only relay cannot check their VDF
//                   proof), timestamps as low as the median-time-past rule allows
//   high nBits      one v4 header on genesis whose nBits claims almost 2^256 work
//
// Prints `key=value` lines (sample rows and a final summary); no network at all.
import DilithionChain
import DilithionSystem
import DilithionWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: Options

struct Options {
    var spamHeaders = 1_000_000
    var honestHeaders = 10_000
    var sampleEvery = 100_000
    var storedBlocks = 50
    var tipExtensionLimit = 1_000_000
    var seed: UInt64 = 24

    static let usage = """
        usage: HeaderSpamBench [--headers N] [--honest N] [--sample-every N] [--tip-extension-limit N] [--seed S]
          --headers N               spam headers in the mix (default 1000000)
          --honest N                honest headers before the spam (default 10000)
          --sample-every N          print a sample row every N spam headers (default 100000)
          --tip-extension-limit N   stop the tip-extension probe after N headers (default 1000000)
          --seed S                  pseudo-random seed (default 24)
        """

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard index + 1 < arguments.count, let value = UInt64(arguments[index + 1]) else { return nil }
            switch name {
            case "--headers": options.spamHeaders = Int(value)
            case "--honest": options.honestHeaders = max(200, Int(value))
            case "--sample-every": options.sampleEvery = max(1, Int(value))
            case "--tip-extension-limit": options.tipExtensionLimit = Int(value)
            case "--seed": options.seed = value
            default: return nil
            }
            index += 2
        }
        return options
    }
}

// MARK: Process figures

/// A `kB` line of /proc/self/status.
func statusKilobytes(_ key: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(key) {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func residentKilobytes() -> Int { statusKilobytes("VmRSS:") }

/// Anonymous resident memory (`RssAnon`: the malloc heap and other private mappings), in bytes.
/// (glibc's `mallinfo2` is not visible to Swift through Glibc's module map.)
func heapBytes() -> Int { statusKilobytes("RssAnon:") * 1024 }

func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

// MARK: Headers

/// A header and its hash (the hash is needed to build the next header on it).
struct Link {
    let header: BlockHeader
    let hash: Hash256
}

extension SplitMix64 {
    /// A pseudo-random integer in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// A v4 header on `parent` (regtest `nBits` unless told). `vdfOutput` is all ones for spam, so
/// a spam sibling of the tip never wins the VDF lottery (a lower output wins).
func child(of parentHash: Hash256, time: UInt32, tag: UInt64, bits: UInt32 = RegtestGenesis.bits, spam: Bool = true) -> Link {
    let header = BlockHeader(
        version: 4, previousBlockHash: parentHash, merkleRoot: Hash256(w0: tag, w1: parentHash.w0, w2: 0x5BA3, w3: 0),
        time: time, bits: bits, nonce: UInt32(truncatingIfNeeded: tag),
        vdfOutput: spam ? Hash256(w0: .max, w1: .max, w2: .max, w3: .max) : Hash256(w0: tag, w1: 1, w2: 1, w3: 1),
        vdfProofHash: Hash256(w0: 9, w1: 9, w2: 9, w3: tag))
    return Link(header: header, hash: try! header.hash())
}

/// `count` headers on `parent`, 60 s apart.
func chain(on parent: Link, count: Int, tag: inout UInt64, spam: Bool = true) -> [Link] {
    var links = [Link]()
    links.reserveCapacity(count)
    var cursor = parent
    for _ in 0..<count {
        tag &+= 1
        cursor = child(of: cursor.hash, time: cursor.header.time + 60, tag: tag, spam: spam)
        links.append(cursor)
    }
    return links
}

// MARK: The node's handling of one `headers` message

/// What the node's handler would do with each message from the spammer: accept, refuse, and
/// penalise; at 100 points the node disconnects and bans that address (the spammer comes back from
/// another one).
struct Feeder {
    let chain: ChainState
    let now: Int64
    var sent = 0
    var accepted = 0
    var messages = 0
    var points = 0
    var bans = 0
    var rejections: [String: Int] = [:]
    var acceptSeconds = 0.0

    mutating func send(_ links: [Link]) {
        let headers = links.map(\.header)
        let start = MonotonicClock.now()
        let result = chain.acceptHeaders(headers, now: now)
        acceptSeconds += MonotonicClock.now() - start
        sent += headers.count
        messages += 1
        accepted += result.acceptedCount
        if let rejection = result.rejection {
            rejections[rejection.reasonCode, default: 0] += 1
            points += rejection.misbehaviourPoints
            if points >= 100 {
                bans += 1
                points = 0
            }
        }
    }

    var rejectionText: String {
        rejections.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}

func openChain(in directory: String) -> ChainState {
    try? FileManager.default.removeItem(atPath: directory)
    do {
        return try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
    } catch {
        fatalError("cannot open a chain in \(directory): \(error)")
    }
}

func counts(_ chain: ChainState) -> (headers: Int, side: Int, best: Int, tip: Int) {
    guard let statistics = try? chain.statistics() else { return (0, 0, 0, 0) }
    return (statistics.headerCount, statistics.sideBranchHeaderCount, statistics.bestHeader.height, statistics.tip.height)
}

/// A chain with `storedBlocks` stored regtest blocks, then honest headers up to `honestHeaders`.
func honestChain(in directory: String, options: Options) -> (ChainState, [Link]) {
    let state = openChain(in: directory)
    do {
        try RegtestChainGenerator(seed: options.seed).generate(count: options.storedBlocks, onto: state)
    } catch {
        fatalError("cannot generate blocks: \(error)")
    }
    var links = [Link(header: RegtestGenesis.block.header, hash: RegtestGenesis.expectedHash)]
    for height in 1...options.storedBlocks {
        let record = state.record(atHeight: height)!
        links.append(Link(header: record.header, hash: record.hash))
    }
    var tag: UInt64 = 1 << 40
    let rest = chain(on: links.last!, count: options.honestHeaders - options.storedBlocks, tag: &tag, spam: false)
    var index = 0
    while index < rest.count {
        let end = min(rest.count, index + Limits.maxHeaders)
        let result = state.acceptHeaders(rest[index..<end].map(\.header), now: Int64(rest.last!.header.time) + 600)
        precondition(result.rejection == nil, "honest header refused: \(String(describing: result.rejection))")
        index = end
    }
    return (state, links + rest)
}

// MARK: Main

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else {
    print(Options.usage)
    exit(CommandLine.arguments.contains("--help") ? 0 : 2)
}
/// The mix, then the probes.
func run(_ options: Options) {
    let workDirectory = NSTemporaryDirectory() + "header-spam-\(getpid())"
    try? FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: workDirectory) }

    let rssStart = residentKilobytes()
    let heapStart = heapBytes()
    let (state, honest) = honestChain(in: workDirectory + "/mix", options: options)
    let honestTip = honest.last!
    let now = Int64(honestTip.header.time) + 600
    let before = counts(state)
    let rssBefore = residentKilobytes()
    let heapBefore = heapBytes()
    print("phase=before rss_kb=\(rssBefore) anon_mb=\(megabytes(heapBefore)) tree=\(before.headers) side=\(before.side) best=\(before.best) tip=\(before.tip) rss_start_kb=\(rssStart) anon_start_mb=\(megabytes(heapStart)) side_cap=\(state.configuration.maxSideBranchHeaders)")

    var feeder = Feeder(chain: state, now: now)
    var random = SplitMix64(seed: options.seed)
    var tag: UInt64 = 1 << 50
    var sentByShape = ["non-connecting": 0, "deep-fork": 0, "small-batch": 0]
    var acceptedByShape = sentByShape
    let deepLimit = max(1, honest.count / 10)
    var nextSample = options.sampleEvery
    var peakRSS = rssBefore
    var peakHeap = heapBefore
    let mixStart = MonotonicClock.now()

    func sendShape(_ shape: String, _ links: [Link]) {
        let acceptedBefore = feeder.accepted
        feeder.send(links)
        sentByShape[shape, default: 0] += links.count
        acceptedByShape[shape, default: 0] += feeder.accepted - acceptedBefore
    }

    while feeder.sent < options.spamHeaders {
        let share = min(Limits.maxHeaders, options.spamHeaders - feeder.sent)
        // Non-connecting: a run of headers on a parent nobody has.
        let orphanParent = Link(header: honestTip.header, hash: random.hash())
        sendShape("non-connecting", chain(on: orphanParent, count: share, tag: &tag))
        guard feeder.sent < options.spamHeaders else { break }
        // Deep fork: from the first tenth of the honest chain, far less work than the tip.
        let forkBase = honest[1 + random.below(deepLimit)]
        sendShape("deep-fork", chain(on: forkBase, count: min(share, options.spamHeaders - feeder.sent), tag: &tag))
        // Small batches: 1-16 headers forking 17-64 below the tip, until this round's share is spent.
        var spent = 0
        while spent < share, feeder.sent < options.spamHeaders {
            let length = min(1 + random.below(16), options.spamHeaders - feeder.sent)
            let base = honest[honest.count - 1 - (17 + random.below(48))]
            sendShape("small-batch", chain(on: base, count: length, tag: &tag))
            spent += length
        }
        if feeder.sent >= nextSample {
            let sample = counts(state)
            let rss = residentKilobytes()
            let heap = heapBytes()
            peakRSS = max(peakRSS, rss)
            peakHeap = max(peakHeap, heap)
            print("phase=sample sent=\(feeder.sent) accepted=\(feeder.accepted) tree=\(sample.headers) side=\(sample.side) rss_kb=\(rss) anon_mb=\(megabytes(heap)) bans=\(feeder.bans)")
            nextSample += options.sampleEvery
        }
    }
    let mixSeconds = MonotonicClock.now() - mixStart
    let after = counts(state)
    let rssAfter = residentKilobytes()
    let heapAfter = heapBytes()
    peakRSS = max(peakRSS, rssAfter)
    peakHeap = max(peakHeap, heapAfter)
    print("phase=after sent=\(feeder.sent) accepted=\(feeder.accepted) messages=\(feeder.messages) tree=\(after.headers) side=\(after.side) best=\(after.best) tip=\(after.tip) rss_kb=\(rssAfter) rss_peak_kb=\(peakRSS) anon_mb=\(megabytes(heapAfter)) anon_peak_mb=\(megabytes(peakHeap))")
    print("phase=shapes " + sentByShape.keys.sorted().map { "\($0)_sent=\(sentByShape[$0]!) \($0)_accepted=\(acceptedByShape[$0]!)" }.joined(separator: " "))
    print("phase=penalties rejections=\(feeder.rejectionText) bans=\(feeder.bans)")
    print(String(format: "phase=throughput accept_seconds=%.3f headers_per_second=%.0f wall_seconds=%.3f", feeder.acceptSeconds, Double(feeder.sent) / max(feeder.acceptSeconds, 1e-9), mixSeconds))
    print("phase=growth tree_growth=\(after.headers - before.headers) per_spam_header=\(String(format: "%.4f", Double(after.headers - before.headers) / Double(max(1, feeder.sent)))) bytes_per_kept_header=\(after.headers > before.headers ? String((heapAfter - heapBefore) / (after.headers - before.headers)) : "n/a")")

    // MARK: Pruning: once their lifetime has passed, every branch nobody delivered goes

    do {
        let heapBeforePrune = heapBytes()
        let rssBeforePrune = residentKilobytes()
        let pruneStart = MonotonicClock.now()
        let report = state.pruneSideBranches(now: now + state.configuration.unbackedBranchLifetimeSeconds + 1)
        let pruneSeconds = MonotonicClock.now() - pruneStart
        let pruned = counts(state)
        print("phase=prune removed=\(report.removedHeaders) expired=\(report.expiredBranches) stale=\(report.staleBranches) tree=\(pruned.headers) best=\(pruned.best) tip=\(pruned.tip) anon_before_mb=\(megabytes(heapBeforePrune)) anon_after_mb=\(megabytes(heapBytes())) rss_before_kb=\(rssBeforePrune) rss_after_kb=\(residentKilobytes()) seconds=\(String(format: "%.3f", pruneSeconds))")
    }

    // MARK: Probe: tip extension

    do {
        let (probe, probeHonest) = honestChain(in: workDirectory + "/tip", options: options)
        let start = counts(probe)
        let heapProbeStart = heapBytes()
        let probeStart = MonotonicClock.now()
        // The node's wall clock moves on: when the timestamps reach now + 2 h, 10 simulated minutes pass.
        var extender = Feeder(chain: probe, now: now)
        var simulatedSeconds: Int64 = 0
        // The lowest timestamps the median-time-past rule allows: each one past the median of the last 11.
        var recentTimes = probeHonest.suffix(HeaderValidation.medianTimeSpan).map(\.header.time)
        var cursor = probeHonest.last!
        var extensionTag: UInt64 = 1 << 55
        var stopped = ""
        var pending = [Link]()
        while extender.sent < options.tipExtensionLimit {
            if pending.isEmpty {
                for _ in 0..<min(Limits.maxHeaders, options.tipExtensionLimit - extender.sent) {
                    let time = HeaderValidation.medianTimePast(recentTimes) + 1
                    extensionTag &+= 1
                    cursor = child(of: cursor.hash, time: time, tag: extensionTag)
                    pending.append(cursor)
                    recentTimes.append(time)
                    if recentTimes.count > HeaderValidation.medianTimeSpan { recentTimes.removeFirst() }
                }
            }
            let acceptedBefore = extender.accepted
            let rejectionsBefore = extender.rejections
            extender.send(pending)
            let taken = extender.accepted - acceptedBefore
            extender.sent -= pending.count - taken  // the refused rest is sent again later
            pending.removeFirst(taken)
            guard !pending.isEmpty else { continue }
            if extender.rejections["time-too-new", default: 0] > rejectionsBefore["time-too-new", default: 0] {
                simulatedSeconds += 600
                extender = Feeder(
                    chain: probe, now: now + simulatedSeconds, sent: extender.sent, accepted: extender.accepted,
                    messages: extender.messages, points: extender.points, bans: extender.bans,
                    rejections: extender.rejections, acceptSeconds: extender.acceptSeconds)
            } else {
                stopped = extender.rejectionText
                break
            }
        }
        let end = counts(probe)
        print("phase=probe-tip-extension sent=\(extender.sent) accepted=\(extender.accepted) tree_before=\(start.headers) tree_after=\(end.headers) best_before=\(start.best) best_after=\(end.best) side_after=\(end.side) stopped_by=\(stopped.isEmpty ? "limit" : stopped) rejections=\(extender.rejectionText) penalty_points=\(extender.points + extender.bans * 100) simulated_hours=\(String(format: "%.1f", Double(simulatedSeconds) / 3600)) headers_per_simulated_hour=\(simulatedSeconds > 0 ? String(Int(Double(extender.accepted) / (Double(simulatedSeconds) / 3600))) : "n/a") anon_growth_mb=\(megabytes(heapBytes() - heapProbeStart)) rss_kb=\(residentKilobytes()) seconds=\(String(format: "%.1f", MonotonicClock.now() - probeStart))")
    }

    // MARK: Probe: one header with a huge nBits claim

    do {
        let (probe, probeHonest) = honestChain(in: workDirectory + "/bits", options: options)
        let start = counts(probe)
        // size 3, mantissa 1: target 1 (valid), work ⌊(2^64-1)/1⌋ at byte offset 29, near 2^256.
        let genesis = probeHonest[0]
        let claim = child(of: genesis.hash, time: genesis.header.time + 60, tag: 0xB175, bits: 0x0300_0001)
        var single = Feeder(chain: probe, now: now)
        single.send([claim])
        let claimAccepted = single.accepted == 1
        let end = counts(probe)
        // The honest chain's next header, after the claim.
        var honestTag: UInt64 = 1 << 60
        let next = chain(on: probeHonest.last!, count: 1, tag: &honestTag, spam: false)
        single.send(next)
        let afterNext = counts(probe)
        print("phase=probe-high-bits accepted=\(claimAccepted) best_before=\(start.best) best_after=\(end.best) tip_before=\(start.tip) tip_after=\(end.tip) side_after=\(end.side) honest_next_accepted=\(afterNext.headers > end.headers) best_after_honest_next=\(afterNext.best) rejections=\(single.rejectionText.isEmpty ? "none" : single.rejectionText)")
    }
}

run(options)
