import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension DilithionNodeCommand {
    /// Like ArgumentParser's `main()`, except that a command-line error (unknown option, missing
    /// value) is one line, `dilithion-node: <what>`, and exit status 2 — the same as a bad value in
    /// `run`'s own validation. `--help` and `--version` behave as usual.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            printError("dilithion-node: \(message(for: error))")
            Glibc.exit(2)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
