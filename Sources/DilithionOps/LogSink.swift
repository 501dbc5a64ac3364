#if canImport(Glibc)
import Glibc
#endif
import DilithionSystem

/// Where log lines go: standard error or an append-only file (`debug.log`), one `write(2)` per
/// line under a lock so lines from different threads never interleave. `O_APPEND` keeps it correct
/// under `logrotate` with `copytruncate`.
public final class LogSink: @unchecked Sendable {
    private let lock = PThreadMutex()
    private let fd: Int32  // guarded by lock for writes; closed in deinit
    private let ownsDescriptor: Bool

    /// Standard error.
    public static let standardError = LogSink(fd: 2, ownsDescriptor: false)

    private init(fd: Int32, ownsDescriptor: Bool) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
    }

    /// Opens (creating, 0640) the log file at `path` for appending.
    public convenience init(appendingTo path: String) throws(LogSinkError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw LogSinkError(path: path, reason: String(cString: strerror(errno))) }
        self.init(fd: fd, ownsDescriptor: true)
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Writes `line` and a newline.
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        lock.withLock {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // disk full or closed stream: logging must never stop the node
                }
            }
        }
    }
}
