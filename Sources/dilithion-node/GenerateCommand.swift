import ArgumentParser
import DilithionChain
import DilithionNodeOps
import DilithionOps
import DilithionRandomX
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// `dilithion-node generate`: builds a regtest chain offline in a data directory (for IBD tests and
/// demos), without starting the network. Prints the new tip as one JSON line.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Regtest: append generated blocks to the chain in a data directory (node not running).",
        discussion: """
            Each block's time is its parent's + 60 s (--legacy: 240 s, and --blocksize is not used); start nodes that serve or sync this chain with \
            --mocktime at or after the printed tip_time. Exit status: 0 done, 1 store or lock failure, \
            2 bad option.
            """
    )

    @Option(help: "Network: regtest, the only one whose chain is generated (accepted so that the flags of `run` work here too).")
    var network: String = "regtest"
    @Option(help: "Data directory (default ~/.dilithion-swift/regtest).")
    var datadir: String?
    @Option(help: "Number of blocks to append.")
    var blocks: Int
    @Option(name: [.customLong("blocksize"), .customLong("block-size")], help: "Blob size of each block in bytes.")
    var blocksize: Int = RPCMethodTable.defaultGenerateBlockSize
    @Option(name: [.customLong("large-blocksize"), .customLong("large-block-size")],
            help: "With --large-every: blob size of every Kth block.")
    var largeBlocksize: Int?
    @Option(help: "With --large-blocksize: K.")
    var largeEvery: Int?
    @Option(help: "Seed of the generated contents (the same seed gives the same chain).")
    var seed: UInt64 = 1
    @Flag(help: "Mine a legacy regtest chain (RandomX headers, 240 s apart, light mode) for nodes run with --legacy-regtest.")
    var legacy = false

    func run() throws {
        func usage(_ message: String) throws -> Never {
            printError("dilithion-node generate: \(message)")
            throw ExitCode(ConfigurationError.exitCode)
        }
        guard network == "regtest" else {
            try usage("--network: \"\(network)\" has no generated chain (only regtest)")
        }
        guard (1...1_000_000).contains(blocks) else { try usage("--blocks: \"\(blocks)\" is not 1-1000000") }
        guard (1...Limits.maxBlockBlob).contains(blocksize) else {
            try usage("--blocksize: \"\(blocksize)\" is not 1-\(Limits.maxBlockBlob)")
        }
        let pattern: BlockSizePattern
        switch (largeBlocksize, largeEvery) {
        case (nil, nil): pattern = .constant(blocksize)
        case let (large?, every?):
            guard (1...Limits.maxBlockBlob).contains(large) else {
                try usage("--large-blocksize: \"\(large)\" is not 1-\(Limits.maxBlockBlob)")
            }
            guard every >= 1 else { try usage("--large-every: \"\(every)\" is not 1 or more") }
            pattern = .periodic(small: blocksize, large: large, every: every)
        default: try usage("--large-blocksize and --large-every go together")
        }
        var entries: [OptionEntry] = []
        entries.appendFlag("network", "regtest")
        entries.appendFlag("datadir", datadir)
        let options: NodeOptions
        do {
            options = try NodeOptions.resolve(commandLine: entries, environment: OptionEntry.processEnvironment(), readFile: { _ in nil })
        } catch {
            try usage(error.message)
        }
        do {
            try generate(options: options, pattern: pattern)
        } catch {
            printError("dilithion-node generate: \(error)")
            throw ExitCode(1)
        }
    }

    private func generate(options: NodeOptions, pattern: BlockSizePattern) throws {
        guard mkdir(options.dataDirectory, 0o700) == 0 || errno == EEXIST else {
            throw GenerateFailure("cannot create \(options.dataDirectory): \(String(cString: strerror(errno)))")
        }
        let lock = try LockFile(path: options.lockFilePath)
        defer { lock.release() }
        if legacy {
            let hasher = RandomXHasher()
            let chain = try ChainState(directory: options.dataDirectory, configuration: .legacyRegtest(legacyHasher: hasher))
            try LegacyChainGenerator(hasher: hasher, seed: seed).generate(count: blocks, onto: chain)
            try finish(chain)
        } else {
            let chain = try ChainState(directory: options.dataDirectory, configuration: ChainConfiguration(network: .regtest))
            try RegtestChainGenerator(seed: seed).generate(count: blocks, blockSize: pattern, onto: chain)
            try finish(chain)
        }
    }

    /// Checkpoints the store and prints the tip as one JSON line.
    private func finish(_ chain: ChainState) throws {
        try chain.store.checkpoint()
        let tip = chain.tip
        let time = chain.record(for: tip.hash)?.header.time ?? 0
        let line: JSON = .object([
            ("tip_height", .int(Int64(tip.height))), ("tip_hash", .string(tip.hash.displayHex)),
            ("tip_time", .int(Int64(time))),
        ])
        print(line.compactText)
    }
}
