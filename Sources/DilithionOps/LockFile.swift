#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on `<datadir>/.lock`, held for the life of the process (the kernel
/// releases it when the process dies, even on `kill -9`, so a stale file never blocks a restart).
/// The file holds the owner's pid for operators.
public final class LockFile: @unchecked Sendable {
    /// The locked file.
    public let path: String
    // owned by this object; -1 once released
    private var fd: Int32

    /// Takes the lock or throws ``LockFileError/alreadyLocked(path:)`` without waiting.
    public init(path: String) throws(LockFileError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let failure = errno
            close(fd)
            if failure == EWOULDBLOCK { throw .alreadyLocked(path: path) }
            throw .cannotOpen(path: path, reason: String(cString: strerror(failure)))
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        self.path = path
        self.fd = fd
    }

    /// Releases the lock (the file stays; its presence means nothing without the lock).
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
