import DilithionSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection's socket as seen by a thread other than the reactor: the dispatcher's optimistic
/// send writes a peer's replies straight to the socket when nothing else is queued for it
/// (`docs/architecture.md`, "Optimistic send").
///
/// The reactor owns the descriptor and is the only thread that closes it, through
/// ``closeDescriptor()``, which takes the handle's lock: a write in progress finishes first, and
/// every later ``write(_:)`` finds the handle closed. So a write can never reach a descriptor number
/// the kernel has already handed to another connection. Ordering against the reactor's own writes
/// is the caller's duty (the engine writes here only while the reactor has nothing
/// queued for the connection and no flush pending); registering for writability stays with the
/// reactor.
public final class SocketWriteHandle: @unchecked Sendable {
    /// What a write did.
    public enum Outcome: Sendable, Equatable {
        /// The kernel took this many bytes (fewer than offered: its buffer is full).
        case wrote(Int)
        /// The reactor closed the socket; nothing was written.
        case closed
        /// `sendmsg` failed with this `errno`; the connection is broken.
        case failed(Int32)
    }

    private let lock = PThreadMutex()
    private var fd: Int32  // guarded by lock; -1 once closed

    init(fd: Int32) {
        self.fd = fd
    }

    /// Writes as much of `chunks` (in order, starting `offset` bytes into the first) as the
    /// socket takes without blocking. Any thread; a write to a closed handle does nothing.
    public func write(_ chunks: ArraySlice<[UInt8]>, offset: Int = 0) -> Outcome {
        lock.withLock {
            guard fd >= 0 else { return .closed }
            var total = 0
            var start = chunks.startIndex
            var skip = offset
            while start < chunks.endIndex {
                let end = min(start + SocketCalls.maxVectorsPerWrite, chunks.endIndex)
                switch SocketCalls.write(fd, chunks[start..<end], skippingFirst: skip) {
                case .wrote(let count):
                    total += count
                    var offered = -skip
                    for chunk in chunks[start..<end] { offered += chunk.count }
                    if count < offered { return .wrote(total) }
                    start = end
                    skip = 0
                case .wouldBlock:
                    return .wrote(total)
                case .failed(let error):
                    return total > 0 ? .wrote(total) : .failed(error)
                }
            }
            return .wrote(total)
        }
    }

    /// Closes the descriptor (waiting for a write in progress) and marks the handle closed.
    /// Reactor thread only, once.
    func closeDescriptor() {
        lock.withLock {
            guard fd >= 0 else { return }
            SocketCalls.closeDescriptor(fd)
            fd = -1
        }
    }
}
