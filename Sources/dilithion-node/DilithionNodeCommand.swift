import ArgumentParser
import DilithionWire

#if canImport(Glibc)
import Glibc
#endif

/// `dilithion-node`: the node's command line.
@main
struct DilithionNodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dilithion-node",
        abstract: "A Dilithion P2P seed/relay node on a libevent reactor.",
        subcommands: [RunCommand.self, GenerateCommand.self, AttestKeyCommand.self, WireCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// `dilithion-node wire …`: tools for the wire protocol.
struct WireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Wire-protocol tools.",
        subcommands: [WireDecodeCommand.self]
    )
}

/// `dilithion-node wire decode <hex>…`: prints one JSON object per frame.
struct WireDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode hex-encoded frames (several may be concatenated); one JSON object per frame.",
        discussion: """
            Reads the hex arguments, or standard input when none is given (one or more lines). Exit \
            status: 0 when every frame is well formed with a valid checksum, 1 when a checksum or \
            payload is bad (the JSON says which), 2 when the input cannot be framed at all.
            """
    )

    @Argument(help: "Hex of one or more complete frames.")
    var hex: [String] = []

    func run() throws {
        var inputs = hex
        if inputs.isEmpty {
            while let line = readLine() { inputs.append(line) }
        }
        var decoder = WireDecoding()
        var allValid = true
        for input in inputs where !input.allSatisfy(\.isWhitespace) {
            do {
                let result = try decoder.decode(hex: input)
                result.lines.forEach { print($0) }
                allValid = allValid && result.allValid
            } catch {
                printError("dilithion-node wire decode: \(error.description)")
                throw ExitCode(2)
            }
        }
        if !allValid { throw ExitCode(1) }
    }
}
