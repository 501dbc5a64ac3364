import CLibevent
import DilithionSystem

/// One listening socket and its accept event, plus the back-off timer used when descriptors run out
/// (reactor thread only).
final class ReactorListener: ReactorEventHandler {
    let boundAddress: SocketAddress
    private var fd: Int32
    private let acceptEvent: ReactorEvent
    private let backoffTimer: ReactorEvent
    private unowned let reactor: Reactor

    /// Accepts taken per readable callback, so one burst of connections cannot monopolize the loop.
    private static let acceptsPerCallback = 64

    init(address: SocketAddress, base: EventBase, reactor: Reactor) throws(ReactorError) {
        let (fd, bound) = try SocketCalls.makeListener(address, backlog: reactor.configuration.listenBacklog)
        self.fd = fd
        self.boundAddress = bound
        self.reactor = reactor
        do throws(ReactorError) {
            acceptEvent = try ReactorEvent(base: base, fd: fd, flags: Int16(EV_READ | EV_PERSIST))
            do throws(ReactorError) {
                backoffTimer = try ReactorEvent(base: base, fd: -1, flags: 0)
            } catch {
                acceptEvent.free()
                throw error
            }
        } catch {
            SocketCalls.closeDescriptor(fd)
            throw error
        }
        acceptEvent.attach(self)
        backoffTimer.attach(self)
        acceptEvent.add()
    }

    func close() {
        guard fd >= 0 else { return }
        acceptEvent.free()
        backoffTimer.free()
        SocketCalls.closeDescriptor(fd)
        fd = -1
    }

    func eventFired(_ event: ReactorEvent, flags: Int16) {
        let counters = reactor.counters
        ReactorCounters.bump(counters.callbacks)
        if event === backoffTimer {
            ReactorCounters.bump(counters.timerCallbacks)
            acceptEvent.add()
            return
        }
        ReactorCounters.bump(counters.acceptCallbacks)
        for _ in 0..<Self.acceptsPerCallback {
            switch SocketCalls.accept(fd) {
            case .accepted(let socket, let remote):
                reactor.accepted(fd: socket, remote: remote)
                if fd < 0 { return }  // the delegate stopped listening meanwhile
            case .wouldBlock:
                return
            case .outOfResources(let failure):
                // Level-triggered readiness stays set while the connection waits in the backlog, so
                // the listener must go quiet until the timer, or the loop spins at 100 % CPU.
                ReactorCounters.bump(counters.acceptBackoffs)
                acceptEvent.remove()
                backoffTimer.add(timeoutMicroseconds: reactor.configuration.acceptBackoffMicroseconds)
                reactor.delegate?.reactor(reactor, acceptFailed: failure)
                return
            case .skipped:
                continue
            }
        }
    }
}
