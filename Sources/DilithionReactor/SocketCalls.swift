import CLibevent
import DilithionSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The syscall boundary, with one error policy (after SwiftNIO's `System.swift`): `EINTR` is retried,
/// `EAGAIN`/`EWOULDBLOCK` means "would block", `EBADF`/`EFAULT` are bugs in this process and stop it,
/// and any other error is returned so that the caller closes *that* socket with one reason.
enum SocketCalls {
    /// Outcome of a read.
    enum ReadResult {
        case bytes(Int)
        case endOfFile
        case wouldBlock
        case failed(Int32)
    }

    /// Outcome of a write.
    enum WriteResult {
        case wrote(Int)
        case wouldBlock
        case failed(Int32)
    }

    /// Outcome of an `accept`.
    enum AcceptResult {
        case accepted(Int32, SocketAddress?)
        case wouldBlock
        /// `EMFILE`/`ENFILE`/`ENOBUFS`/`ENOMEM`: the listener must back off or it will spin.
        case outOfResources(AcceptFailure)
        /// The connection died in the backlog (`ECONNABORTED`, ...): try the next one.
        case skipped(Int32)
    }

    /// Outcome of starting a non-blocking connect.
    enum ConnectResult {
        case inProgress(Int32)
        case connected(Int32)
        case failed(Int32)
    }

    private static func checkNotBug(_ error: Int32, _ call: StaticString) {
        precondition(error != EBADF && error != EFAULT, "\(call) failed with a programming error: errno \(error)")
    }

    /// A non-blocking, close-on-exec TCP socket bound to `address` and listening.
    static func makeListener(_ address: SocketAddress, backlog: Int32) throws(ReactorError) -> (Int32, SocketAddress) {
        let fd = socket(address.addressFamily, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed(address: address, errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        // Accepted sockets inherit TCP_NODELAY from the listener (Linux), which saves a call per accept.
        setNoDelay(fd)
        if address.family == .ipv6 {
            // Keep the IPv6 listener IPv6-only so that an IPv4 listener on the same port can coexist.
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw .bindFailed(address: address, errno: error)
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            throw .listenFailed(address: address, errno: error)
        }
        return (fd, localAddress(fd) ?? address)
    }

    /// The address a socket is bound to (reports the kernel-chosen port after binding port 0).
    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return SocketAddress(storage: &storage)
    }

    static func accept(_ listener: Int32) -> AcceptResult {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            #if os(Linux)
            // One call: non-blocking and close-on-exec from the start (accept4, declared in the
            // shim); TCP_NODELAY comes from the listener.
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
            #else
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Darwin.accept(listener, $0, &length) }
            }
            if fd >= 0 {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                setNoDelay(fd)
            }
            #endif
            if fd >= 0 {
                return .accepted(fd, SocketAddress(storage: &storage))
            }
            let error = errno
            switch error {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default:
                if let failure = AcceptFailure(errno: error) { return .outOfResources(failure) }
                checkNotBug(error, "accept4")
                return .skipped(error)
            }
        }
    }

    static func startConnect(_ address: SocketAddress) -> ConnectResult {
        let fd = socket(address.addressFamily, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        setNoDelay(fd)
        while true {
            let result = address.withSockAddr { connect(fd, $0, $1) }
            if result == 0 { return .connected(fd) }
            let error = errno
            switch error {
            case EINTR: continue
            case EINPROGRESS: return .inProgress(fd)
            default:
                close(fd)
                checkNotBug(error, "connect")
                return .failed(error)
            }
        }
    }

    /// `SO_ERROR` of a socket whose non-blocking connect has finished (0 = connected).
    static func pendingError(_ fd: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfFile }
            let error = errno
            switch error {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default:
                checkNotBug(error, "read")
                return .failed(error)
            }
        }
    }

    /// A gathered write with `MSG_NOSIGNAL`, so a peer that reset the connection yields `EPIPE`
    /// instead of killing the process with `SIGPIPE`.
    static func write(_ fd: Int32, _ vectors: UnsafeMutablePointer<iovec>, count: Int) -> WriteResult {
        var message = msghdr()
        message.msg_iov = vectors
        message.msg_iovlen = count
        while true {
            let written = sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            if written >= 0 { return .wrote(written) }
            let error = errno
            switch error {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default:
                checkNotBug(error, "sendmsg")
                return .failed(error)
            }
        }
    }

    /// Chunks per `sendmsg`; Linux allows 1024 (`IOV_MAX`), 64 already amortizes the syscall.
    static let maxVectorsPerWrite = 64

    /// One gathered write of `chunks` (at most ``maxVectorsPerWrite``), skipping the first
    /// `skip` bytes of the first chunk (written before). Each chunk's storage stays pinned by a
    /// nested `withUnsafeBytes` while `sendmsg` runs.
    static func write(_ fd: Int32, _ chunks: ArraySlice<[UInt8]>, skippingFirst skip: Int) -> WriteResult {
        precondition(!chunks.isEmpty && chunks.count <= maxVectorsPerWrite)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: chunks.count) { vectors in
            gather(fd, chunks, skip: skip, into: vectors, index: 0)
        }
    }

    private static func gather(
        _ fd: Int32, _ chunks: ArraySlice<[UInt8]>, skip: Int, into vectors: UnsafeMutableBufferPointer<iovec>,
        index: Int
    ) -> WriteResult {
        if index == vectors.count {
            return write(fd, vectors.baseAddress!, count: vectors.count)
        }
        let offset = index == 0 ? skip : 0
        return chunks[chunks.startIndex + index].withUnsafeBytes { bytes in
            vectors[index] = iovec(
                iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + offset), iov_len: bytes.count - offset)
            return gather(fd, chunks, skip: skip, into: vectors, index: index + 1)
        }
    }

    static func closeDescriptor(_ fd: Int32) {
        // Linux closes the descriptor even when close() reports EINTR, so it is never retried.
        let result = close(fd)
        precondition(result == 0 || errno != EBADF, "close(\(fd)) of a descriptor we do not own")
    }
}
