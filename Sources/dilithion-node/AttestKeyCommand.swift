import ArgumentParser
import DilithionAttestation
import DilithionOps
import DilithionWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `dilithion-node attestkey`: shows (creating it if absent) the node's seed attestation key and
/// which seed of the chain it is, or inspects a C++ node's `seed_attestation_key.dat`. Prints one
/// JSON line; the node need not be running.
struct AttestKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attestkey",
        abstract: "Show (and create if absent) the seed attestation key, or inspect a C++ key file.",
        discussion: """
            Prints {"file", "created", "public_key", "seed_id", "network"}; seed_id is null when the key \
            is not one of the network's seed keys (on regtest: those in --attest-seed-keys). With --cpp-key \
            it reads a C++ node's seed_attestation_key.dat instead (never writes) and says which seed it is; \
            this node cannot sign with that file (docs/operating.md, "Seed attestation"). Exit status: 0, \
            1 for an unreadable or damaged key file, 2 for a bad option.
            """
    )

    @Option(help: "mainnet, testnet, dilv or regtest (default regtest).")
    var network: String?
    @Option(help: "Data directory (default ~/.dilithion-swift/<network>).")
    var datadir: String?
    @Option(name: .customLong("attest-key"), help: "Key file (default <datadir>/seed-attestation.key).")
    var attestKey: String?
    @Option(name: .customLong("attest-seed-keys"), help: "Regtest only: the seed public keys, one hex key per line.")
    var attestSeedKeys: String?
    @Option(name: .customLong("cpp-key"), help: "Inspect this C++ seed_attestation_key.dat instead.")
    var cppKey: String?

    func run() throws {
        var entries: [OptionEntry] = []
        entries.appendFlag("network", network)
        entries.appendFlag("datadir", datadir)
        entries.appendFlag("attest-key", attestKey)
        entries.appendFlag("attest-seed-keys", attestSeedKeys)
        let environment = OptionEntry.processEnvironment()
        let options: NodeOptions
        let parameters: AttestationParameters
        do {
            options = try NodeOptions.resolve(commandLine: entries, environment: environment, readFile: { _ in nil })
            parameters = try AttestationSetup.parameters(options: options)
        } catch let error as ConfigurationError {
            printError(error.line(program: "dilithion-node attestkey"))
            throw ExitCode(ConfigurationError.exitCode)
        } catch {
            printError("dilithion-node attestkey: \(error)")
            throw ExitCode(ConfigurationError.exitCode)
        }
        let file: String
        let publicKey: [UInt8]
        let created: Bool
        do {
            if let cppKey {
                (file, publicKey, created) = (cppKey, try CppSeedKeyFile.load(path: cppKey).publicKey, false)
            } else {
                let directory = (options.attestKeyPath as NSString).deletingLastPathComponent
                do {
                    try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory,
                                                            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw SeedKeyError.io(path: directory, reason: "\(error.localizedDescription)")
                }
                let (key, isNew) = try SeedKeyFile.loadOrCreate(path: options.attestKeyPath)
                (file, publicKey, created) = (options.attestKeyPath, key.publicKey, isNew)
            }
        } catch {
            printError("dilithion-node attestkey: \(error)")
            throw ExitCode(1)
        }
        let seedID: JSON = parameters.seedID(of: publicKey).map { .int(Int64($0)) } ?? .null
        print(JSON.object([
            ("file", .string(file)), ("created", .bool(created)), ("public_key", .string(HexCoding.encode(publicKey))),
            ("seed_id", seedID), ("network", .string(options.network.rawValue)),
        ]).compactText)
    }
}
