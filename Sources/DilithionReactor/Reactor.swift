import CLibevent
import DilithionSystem
import DilithionWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The I/O thread: the only thread that calls libevent (apart from ``wakeUp()``, which uses the one
/// thread-safe entry point, `event_active`).
///
/// It owns the event base, the listeners, every ``ReactorConnection`` and the one read buffer they
/// share. Other threads hand work over through their own locked queue and call ``wakeUp()``; the
/// reactor then calls ``ReactorDelegate/reactorDidWake(_:)`` once per coalesced wakeup.
public final class Reactor: @unchecked Sendable, ReactorEventHandler {
    /// The configuration given at creation.
    public let configuration: ReactorConfiguration

    // Start handshake: guarded by startLock.
    private let startLock = PThreadMutex()
    private let startCondition = ConditionVariable()
    private var startResult: Result<[SocketAddress], ReactorError>?
    private var thread: NativeThread?

    // Cross-thread wakeup state: guarded by wakeLock. Lock order: wakeLock before libevent's base lock.
    private let wakeLock = PThreadMutex()
    private var wakeupPending = false
    private var acceptsWakeups = false
    private var stopRequested = false

    // Written once in init; the write end is used from signal handlers (write(2) is async-signal-safe).
    private let interruptReadFD: Int32
    private let interruptWriteFD: Int32

    // reactor thread only
    private var base: EventBase?
    private var wakeupEvent: ReactorEvent?
    private var interruptEvent: ReactorEvent?
    private var listeners: [ReactorListener] = []
    private var connections: [UInt64: ReactorConnection] = [:]
    private(set) var delegate: ReactorDelegate?
    let readBuffer: UnsafeMutableRawBufferPointer

    let counters = ReactorCounters()

    // The backend name, written once on the reactor thread, read from any thread.
    private let backendLock = PThreadMutex()
    private var chosenBackend: String?

    /// Creates a stopped reactor. Also raises `RLIMIT_NOFILE` and makes `SIGPIPE` harmless, which the
    /// process needs before it holds many sockets.
    public init(configuration: ReactorConfiguration) throws(ReactorError) {
        self.configuration = configuration
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .pipeFailed(errno: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        interruptReadFD = fds[0]
        interruptWriteFD = fds[1]
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: configuration.readBufferSize, alignment: 16)
        ProcessLimits.raiseFileDescriptorLimit()
        ProcessLimits.ignoreSIGPIPE()
    }

    deinit {
        SocketCalls.closeDescriptor(interruptReadFD)
        SocketCalls.closeDescriptor(interruptWriteFD)
        readBuffer.deallocate()
    }

    /// Starts the reactor thread, binds the listeners, and returns their bound addresses (with the
    /// kernel-chosen ports). Throws if the base or a listener cannot be set up; the thread is then gone.
    @discardableResult
    public func start(delegate: ReactorDelegate) throws(ReactorError) -> [SocketAddress] {
        let delegateBox = UncheckedSendableBox(delegate)
        let newThread = NativeThread(name: "dln-reactor") { [self] in
            run(delegate: delegateBox.value)
        }
        let result: Result<[SocketAddress], ReactorError> = startLock.withLock {
            thread = newThread
            startCondition.broadcast()  // the reactor thread waits for this before it runs
            while startResult == nil {
                startCondition.wait(startLock)
            }
            return startResult!
        }
        switch result {
        case .success(let addresses):
            return addresses
        case .failure(let error):
            newThread.join()
            throw error
        }
    }

    /// The bound listening addresses (empty before ``start(delegate:)`` succeeded).
    public var listeningAddresses: [SocketAddress] {
        startLock.withLock { (try? startResult?.get()) ?? [] }
    }

    /// Wakes the reactor so that it calls ``ReactorDelegate/reactorDidWake(_:)``. Any thread; several
    /// calls before the reactor runs collapse into one callback. Does nothing once the reactor stopped.
    public func wakeUp() {
        wakeLock.withLock {
            guard acceptsWakeups, !wakeupPending else { return }
            wakeupPending = true
            wakeupEvent?.activate()
        }
    }

    /// Asks the reactor to leave its loop after the next wakeup callback. Any thread.
    public func requestStop() {
        wakeLock.withLock {
            stopRequested = true
            guard acceptsWakeups, !wakeupPending else { return }
            wakeupPending = true
            wakeupEvent?.activate()
        }
    }

    /// Async-signal-safe: writes one byte to a pipe the reactor watches, which then calls
    /// ``ReactorDelegate/reactorDidReceiveInterrupt(_:)``. Takes no lock and allocates nothing.
    public func interrupt() {
        var byte: UInt8 = 1
        _ = write(interruptWriteFD, &byte, 1)
    }

    /// Waits for the reactor thread to end (after ``requestStop()``). Idempotent.
    public func join() {
        let current = startLock.withLock { thread }
        current?.join()
    }

    /// A snapshot of the event counters.
    public var statistics: ReactorStatistics { counters.snapshot }

    /// The libevent backend in use (`epoll`, or `poll` under `EVENT_NOEPOLL=1`); nil before ``start(delegate:)``.
    public var backendMethod: String? { backendLock.withLock { chosenBackend } }

    /// Whether libevent's debug mode is on in this process (`DILITHION_LIBEVENT_DEBUG=1` before the
    /// first reactor starts).
    public static var isLibeventDebugModeOn: Bool { EventBase.isDebugModeOn }

    /// Whether the caller runs on the reactor thread.
    public var isOnReactorThread: Bool {
        startLock.withLock { thread }?.isCurrent ?? false
    }

    /// Traps (in debug builds) unless called on the reactor thread.
    @inline(__always)
    public func assertOnReactorThread(file: StaticString = #fileID, line: UInt = #line) {
        assert(isOnReactorThread, "must run on the reactor thread", file: file, line: line)
    }

    // MARK: Reactor-thread API

    /// The open connection with this id. Reactor thread only.
    public func connection(withID id: UInt64) -> ReactorConnection? {
        assertOnReactorThread()
        return connections[id]
    }

    /// The ids of all open connections. Reactor thread only.
    public var connectionIDs: [UInt64] {
        assertOnReactorThread()
        return Array(connections.keys)
    }

    /// Starts a non-blocking connect to `address`. The result arrives as
    /// ``ReactorDelegate/connectionDidConnect(_:)`` or as a close with ``ConnectionFailure/connectFailed(_:)``
    /// (possibly before this returns). Reactor thread only.
    public func connect(to address: SocketAddress, id: UInt64) {
        assertOnReactorThread()
        guard let base else { return }
        switch SocketCalls.startConnect(address) {
        case .failed(let error):
            delegate?.connection(
                ReactorConnection.failedConnect(id: id, remote: address, reactor: self), didClose: .connectFailed(error))
        case .inProgress(let fd):
            open(ReactorConnection(id: id, fd: fd, remote: address, connecting: true, base: base, reactor: self))
        case .connected(let fd):
            let connection = ReactorConnection(id: id, fd: fd, remote: address, connecting: true, base: base, reactor: self)
            open(connection)
            connection.finishConnect()
        }
    }

    /// Stops accepting: closes every listening socket. Reactor thread only.
    public func stopListening() {
        assertOnReactorThread()
        listeners.forEach { $0.close() }
        listeners.removeAll()
    }

    // MARK: Internals

    func register(_ connection: ReactorConnection) {
        connections[connection.id] = connection
        counters.openConnections.wrappingAdd(1, ordering: .relaxed)
    }

    func unregister(_ connection: ReactorConnection) {
        if connections.removeValue(forKey: connection.id) != nil {
            counters.openConnections.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    private func open(_ connection: ReactorConnection) {
        register(connection)
        connection.start()
    }

    /// Called by a listener for each accepted socket.
    func accepted(fd: Int32, remote: SocketAddress?) {
        guard let base, let delegate, let remote, let id = delegate.reactor(self, admitConnectionFrom: remote) else {
            SocketCalls.closeDescriptor(fd)
            ReactorCounters.bump(counters.refused)
            return
        }
        ReactorCounters.bump(counters.accepted)
        let connection = ReactorConnection(id: id, fd: fd, remote: remote, connecting: false, base: base, reactor: self)
        open(connection)
        delegate.reactor(self, didAccept: connection)
    }

    private func run(delegate: ReactorDelegate) {
        // `thread` identifies the reactor thread (``isOnReactorThread``); it is assigned just after
        // the thread starts, so wait for it: a listener that fails at once used to reach
        // `tearDown()` first and trip the thread assertion there.
        startLock.withLock {
            while thread == nil {
                startCondition.wait(startLock)
            }
        }
        self.delegate = delegate
        let result: Result<[SocketAddress], ReactorError>
        do throws(ReactorError) {
            let base = try EventBase()
            self.base = base
            backendLock.withLock { chosenBackend = base.methodName }
            let wakeup = try ReactorEvent(base: base, fd: -1, flags: 0, handler: self)
            wakeupEvent = wakeup
            let interrupt = try ReactorEvent(
                base: base, fd: interruptReadFD, flags: Int16(EV_READ | EV_PERSIST), handler: self)
            interrupt.add()
            interruptEvent = interrupt
            for address in configuration.listenAddresses {
                listeners.append(try ReactorListener(address: address, base: base, reactor: self))
            }
            result = .success(listeners.map(\.boundAddress))
        } catch {
            result = .failure(error)
        }
        if case .success = result {
            wakeLock.withLock { acceptsWakeups = true }
        }
        startLock.withLock {
            startResult = result
            startCondition.broadcast()
        }
        if case .success = result {
            base?.run()
        }
        tearDown()
    }

    /// Frees everything libevent-related on the reactor thread, after the loop ended.
    private func tearDown() {
        wakeLock.withLock { acceptsWakeups = false }
        // The engine closes its connections before stopping; anything left is closed here
        // so that no event outlives the base.
        for connection in Array(connections.values) {
            connection.close(.localRequest)
        }
        stopListening()
        wakeupEvent?.free()
        wakeupEvent = nil
        interruptEvent?.free()
        interruptEvent = nil
        base = nil
        delegate = nil
    }

    func eventFired(_ event: ReactorEvent, flags: Int16) {
        ReactorCounters.bump(counters.callbacks)
        if event === wakeupEvent {
            ReactorCounters.bump(counters.wakeups)
            let stop = wakeLock.withLock {
                wakeupPending = false
                return stopRequested
            }
            delegate?.reactorDidWake(self)
            if stop {
                base?.breakLoop()
            }
        } else if event === interruptEvent {
            var scratch = [UInt8](repeating: 0, count: 64)
            while read(interruptReadFD, &scratch, scratch.count) > 0 {}
            delegate?.reactorDidReceiveInterrupt(self)
        }
    }
}
