import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension DilithionNodeCommand {
    /// Like ArgumentParser's `main()`, except that a command-line error (unknown option, missing
    /// value) is one line, `dilithion-node: <what>`, and exit status 2 — the same as a bad value in
    /// `run`'s own validation. `--help` and `--version` behave as usual.
    ///
    /// SIGINT and SIGTERM are held (blocked, so they stay pending) from the first instruction:
    /// `run` releases them once its signal watcher is installed, so a stop request during option
    /// parsing or start-up becomes an orderly shutdown; every other command releases them at once
    /// and keeps the default action.
    static func main() {
        var held = sigset_t()
        sigemptyset(&held)
        sigaddset(&held, SIGINT)
        sigaddset(&held, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &held, nil)
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            pthread_sigmask(SIG_UNBLOCK, &held, nil)
            if exitCode(for: error) == .success { exit(withError: error) }
            printError("dilithion-node: \(message(for: error))")
            Glibc.exit(2)
        }
        if !(command is RunCommand) { pthread_sigmask(SIG_UNBLOCK, &held, nil) }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
