#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem

/// Write end of the self-pipe, read by the async-signal handler. Set once, before any handler is
/// installed, and never changed; the handler only reads it.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// Turns SIGINT/SIGTERM into calls on an ordinary thread with the self-pipe trick: the
/// async-signal handler does nothing but `write(2)` the signal number to a non-blocking pipe (the
/// one async-signal-safe thing it needs), and a dedicated thread reads the pipe.
///
/// The first signal calls `onFirstSignal` (which starts the orderly shutdown); any later one
/// forces the process out with `_exit(128 + signal)` (130 for SIGINT, 143 for SIGTERM), for an
/// operator whose shutdown is stuck. This works whichever thread the kernel delivers the signal
/// to, so no thread needs a special signal mask. One watcher per process.
public final class SignalWatcher: @unchecked Sendable {
    private let readFD: Int32
    private let thread: NativeThread

    /// Installs handlers for `signals` and starts the watcher thread.
    public init(signals: [Int32] = [SIGINT, SIGTERM], onFirstSignal: @escaping @Sendable (Int32) -> Void) {
        precondition(signalPipeWriteFD == -1, "only one SignalWatcher per process")
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe failed: \(errno)")
        fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        // Only the write end is non-blocking: a full pipe must not block the handler, while the
        // watcher thread blocks in read(2).
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        readFD = fds[0]
        signalPipeWriteFD = fds[1]
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let savedErrno = errno
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteFD, &byte, 1)
                errno = savedErrno
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
        // A parent (a supervisor, a test runner) may have started us with these signals blocked;
        // unblock them on the calling (main) thread so they are delivered at all.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in signals { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        let readEnd = fds[0]
        thread = NativeThread {
            var received = 0
            while true {
                var byte: UInt8 = 0
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                received += 1
                if received == 1 {
                    onFirstSignal(Int32(byte))
                } else {
                    let line = Array("received signal \(byte) again: exiting now\n".utf8)
                    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                    _exit(128 + Int32(byte))
                }
            }
        }
    }

    /// Ignores SIGPIPE for the whole process: a client that closes its socket early must give an
    /// `EPIPE` error on that socket, not kill the node.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }
}
