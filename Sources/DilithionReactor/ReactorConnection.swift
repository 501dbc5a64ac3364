import CLibevent
import DilithionSystem
import DilithionWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection: its socket, a persistent read event, a write event that is added only while
/// bytes are queued (or a connect is pending), the frame decoder and the queue of bytes to write.
///
/// Reactor thread only. Reads go into the reactor's shared 64 KiB buffer and straight into the
/// decoder; writes are gathered (`sendmsg` with up to ``maxVectorsPerWrite`` chunks, `MSG_NOSIGNAL`).
///
/// Lifecycle: `connecting → open → closed` (inbound connections start `open`); `close(_:)` is the only
/// way to `closed` and reports to the delegate exactly once.
public final class ReactorConnection: ReactorEventHandler {
    /// The state of the socket.
    public enum State: Sendable, Equatable {
        /// Outbound connect in progress.
        case connecting
        /// Connected; reading (unless paused) and writing.
        case open
        /// Socket closed, events freed.
        case closed
    }

    /// The id the engine gave this connection.
    public let id: UInt64
    /// The remote address.
    public let remoteAddress: SocketAddress
    /// Where the connection is in its life.
    public private(set) var state: State
    /// Whether reading is paused (receive backpressure).
    public private(set) var isReadingPaused = false
    /// Whether the write event is currently registered.
    public private(set) var isWaitingForWritable = false

    /// The socket for writes from other threads (the dispatcher's optimistic send); closing the
    /// descriptor goes through it, so such a write never outlives the descriptor.
    public let writeHandle: SocketWriteHandle

    private var fd: Int32
    private let reactor: Reactor
    private var readEvent: ReactorEvent?
    private var writeEvent: ReactorEvent?
    // Touched per frame on the reactor thread only; the dynamic exclusivity check is skipped
    // (its thread-local bookkeeping was a measurable part of the per-frame cost).
    @exclusivity(unchecked) private var decoder: FrameDecoder
    @exclusivity(unchecked) private var decodedFrames: [Frame] = []
    private var writeQueue: [[UInt8]] = []
    private var writeHead = 0  // index of the first chunk not fully written
    private var writeOffset = 0  // bytes of writeQueue[writeHead] already written
    private var queuedBytes = 0

    init(id: UInt64, fd: Int32, remote: SocketAddress, connecting: Bool, base: EventBase?, reactor: Reactor) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remote
        self.reactor = reactor
        self.state = connecting ? .connecting : .open
        self.writeHandle = SocketWriteHandle(fd: fd)
        self.decoder = FrameDecoder(magic: reactor.configuration.magic, maxPayload: reactor.configuration.maxPayload)
        if let base, fd >= 0 {
            readEvent = try? ReactorEvent(base: base, fd: fd, flags: Int16(EV_READ | EV_PERSIST))
            writeEvent = try? ReactorEvent(base: base, fd: fd, flags: Int16(EV_WRITE | EV_PERSIST))
        }
        decodedFrames.reserveCapacity(64)
    }

    /// A connection object for an outbound connect that failed before a socket existed.
    static func failedConnect(id: UInt64, remote: SocketAddress, reactor: Reactor) -> ReactorConnection {
        let connection = ReactorConnection(id: id, fd: -1, remote: remote, connecting: true, base: nil, reactor: reactor)
        connection.state = .closed
        return connection
    }

    deinit {
        precondition(state == .closed, "ReactorConnection \(id) released while open")
    }

    /// Bytes queued for writing and not yet accepted by the kernel.
    public var queuedByteCount: Int { queuedBytes }

    /// Registers the events: reading for an open socket, writability for a pending connect.
    func start() {
        guard let readEvent, let writeEvent else {
            close(.readFailed(ENOMEM))
            return
        }
        readEvent.attach(self)
        writeEvent.attach(self)
        if state == .connecting {
            writeEvent.add()
            isWaitingForWritable = true
        } else {
            readEvent.add()
        }
    }

    /// Stops reading (receive backpressure); bytes stay in the kernel and TCP pushes back on the peer.
    public func pauseReading() {
        guard !isReadingPaused else { return }
        isReadingPaused = true
        if state == .open { readEvent?.remove() }
    }

    /// Resumes reading after ``pauseReading()``.
    public func resumeReading() {
        guard isReadingPaused else { return }
        isReadingPaused = false
        if state == .open { readEvent?.add() }
    }

    /// Queues encoded frames (kept in order) and writes as much as the socket accepts now; the write
    /// event is registered only while something remains.
    public func write(_ chunks: [[UInt8]]) {
        guard state != .closed else { return }
        for chunk in chunks where !chunk.isEmpty {
            writeQueue.append(chunk)
            queuedBytes += chunk.count
        }
        if state == .open {
            flush()
        }
    }

    /// Closes the socket and frees its events, then tells the delegate once. Idempotent.
    public func close(_ failure: ConnectionFailure) {
        guard state != .closed else { return }
        state = .closed
        readEvent?.free()
        writeEvent?.free()
        readEvent = nil
        writeEvent = nil
        if fd >= 0 {
            writeHandle.closeDescriptor()
            fd = -1
        }
        writeQueue.removeAll()
        queuedBytes = 0
        reactor.unregister(self)
        reactor.delegate?.connection(self, didClose: failure)
    }

    /// Makes one last attempt to write what is queued (whatever the kernel accepts without blocking),
    /// then closes. Used for local disconnects so that a final message usually gets out.
    public func flushAndClose(_ failure: ConnectionFailure) {
        if state == .open, queuedBytes > 0 {
            flush()
        }
        close(failure)
    }

    func eventFired(_ event: ReactorEvent, flags: Int16) {
        ReactorCounters.bump(reactor.counters.callbacks)
        if event === readEvent {
            ReactorCounters.bump(reactor.counters.readCallbacks)
            readAvailable()
        } else if event === writeEvent {
            ReactorCounters.bump(reactor.counters.writeCallbacks)
            if state == .connecting {
                finishConnect()
            } else {
                flush()
            }
        }
    }

    /// Completes a pending connect once the socket is writable.
    func finishConnect() {
        guard state == .connecting else { return }
        let error = SocketCalls.pendingError(fd)
        guard error == 0 else {
            close(.connectFailed(error))
            return
        }
        state = .open
        if !isReadingPaused { readEvent?.add() }
        if queuedBytes == 0 {
            writeEvent?.remove()
            isWaitingForWritable = false
        }
        reactor.delegate?.connectionDidConnect(self)
        if state == .open, queuedBytes > 0 {
            flush()
        }
    }

    // MARK: Reading

    /// Reads what the socket holds now, as if its read event had fired (does nothing unless open
    /// and reading). Reactor thread only. For a connection just accepted: its peer's first message
    /// has usually arrived with the connection, and reading it at once saves a round through the
    /// event loop and lets the dispatcher hear of the connection and the message in one wakeup.
    public func readNow() {
        guard state == .open, !isReadingPaused else { return }
        readAvailable()
    }

    private func readAvailable() {
        let buffer = reactor.readBuffer
        for _ in 0..<reactor.configuration.maxReadsPerCallback {
            switch SocketCalls.read(fd, into: buffer) {
            case .bytes(let count):
                ReactorCounters.bump(reactor.counters.reads)
                guard consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) else { return }
                if count < buffer.count || isReadingPaused || state != .open { return }
            case .endOfFile:
                ReactorCounters.bump(reactor.counters.reads)
                close(.peerClosed)
                return
            case .wouldBlock:
                return
            case .failed(let error):
                close(.readFailed(error))
                return
            }
        }
    }

    /// Decodes the bytes just read and hands the frames over. Returns false once the connection closed.
    private func consume(_ bytes: UnsafeRawBufferPointer) -> Bool {
        decoder.append(bytes)
        var fatal: FrameError?
        do throws(FrameError) {
            // Every complete frame of this read at once: their payloads share one allocation.
            try decoder.nextFrames(into: &decodedFrames) { error in
                reactor.delegate?.connection(self, didDropFrame: error)
            }
        } catch {
            fatal = error
        }
        let keepReading = reactor.delegate?.connection(
            self, didReceive: &decodedFrames, byteCount: bytes.count,
            hasPartialFrame: fatal == nil && decoder.hasPartialFrame) ?? true
        decodedFrames.removeAll(keepingCapacity: true)
        if let fatal {
            close(.frame(fatal))
            return false
        }
        guard state == .open else { return false }
        if !keepReading {
            pauseReading()
        }
        return true
    }

    // MARK: Writing

    private func flush() {
        var written = 0
        var failure: Int32?
        writing: while writeHead < writeQueue.count {
            let count = min(SocketCalls.maxVectorsPerWrite, writeQueue.count - writeHead)
            let result = SocketCalls.write(fd, writeQueue[writeHead..<writeHead + count], skippingFirst: writeOffset)
            switch result {
            case .wrote(let bytes):
                ReactorCounters.bump(reactor.counters.writes)
                written += bytes
                let requested = advance(by: bytes, vectorCount: count)
                if bytes < requested { break writing }
            case .wouldBlock:
                break writing
            case .failed(let error):
                failure = error
                break writing
            }
        }
        if writeHead == writeQueue.count {
            writeQueue.removeAll(keepingCapacity: writeQueue.capacity <= 256)
            writeHead = 0
            writeOffset = 0
        } else if writeHead > 256, writeHead * 2 > writeQueue.count {
            writeQueue.removeFirst(writeHead)
            writeHead = 0
        }
        if written > 0 {
            reactor.delegate?.connection(self, didWrite: written)
        }
        if let failure {
            close(.writeFailed(failure))
            return
        }
        guard state == .open else { return }
        if queuedBytes > 0, !isWaitingForWritable {
            writeEvent?.add()
            isWaitingForWritable = true
        } else if queuedBytes == 0, isWaitingForWritable {
            writeEvent?.remove()
            isWaitingForWritable = false
        }
    }

    /// Drops `bytes` written bytes from the front of the queue; returns how many bytes were offered.
    private func advance(by bytes: Int, vectorCount: Int) -> Int {
        var requested = 0
        for index in 0..<vectorCount {
            requested += writeQueue[writeHead + index].count - (index == 0 ? writeOffset : 0)
        }
        queuedBytes -= bytes
        var remaining = bytes
        while remaining > 0 {
            let left = writeQueue[writeHead].count - writeOffset
            if remaining >= left {
                remaining -= left
                writeHead += 1
                writeOffset = 0
            } else {
                writeOffset += remaining
                remaining = 0
            }
        }
        return requested
    }
}
