import DilithionTestKit
import Foundation
import Logging
@testable import DilithionOps

/// A `dilithion-node` process started by a test (the binary built next to the test bundle), with
/// its output in a file and bounded waits.
final class NodeProcess {
    static var binary: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("dilithion-node")
    }

    /// A loopback port that was free a moment ago (bound to port 0, then released).
    static func freePort() throws -> UInt16 {
        let server = HTTPServer(endpoints: [Endpoint(host: "127.0.0.1", port: 0)], logger: Logger(label: "test")) { _ in
            HTTPResponse(status: 200)
        }
        let port = try server.start()[0].port
        server.stop()
        return port
    }

    /// The child's pid.
    let pid: pid_t
    let outputPath: String
    private var exitStatus: Int32?

    /// Spawns the node with `posix_spawn` (not Foundation's `Process`, so the test owns `waitpid`),
    /// with an empty signal mask and default SIGINT/SIGTERM handling whatever the test runner's
    /// threads have set, and stdout/stderr appended to `outputPath`.
    init(arguments: [String], outputPath: String) throws {
        self.outputPath = outputPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([Self.binary.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, Self.binary.path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        pid = child
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` to the node.
    func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `seconds` (monotonic) for the process to exit; returns its exit status (128 + n
    /// when killed by signal n), nil if still running.
    func waitForExit(seconds: Double) -> Int32? {
        if let exitStatus { return exitStatus }
        _ = eventually(timeout: seconds, interval: .milliseconds(20)) {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return false }
            let signal = status & 0x7F
            exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            return true
        }
        return exitStatus
    }

    /// Retries `call` until it succeeds or `seconds` (monotonic) pass (the node is starting).
    static func retry<T>(seconds: Double, _ call: () throws -> T) throws -> T {
        var outcome: Result<T, any Error>?
        _ = eventually(timeout: seconds, interval: .milliseconds(50)) {
            outcome = Result { try call() }
            if case .success = outcome { return true }
            return false
        }
        return try outcome!.get()
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}
