@testable import DilithionReactor
import DilithionSystem
import DilithionWire
import Foundation
import XCTest

/// The reactor on its own, with a minimal delegate: wakeups coalesce, interrupts arrive, the backend
/// is never `select`, and stopping frees everything.
final class ReactorWakeupTests: XCTestCase {
    final class Delegate: ReactorDelegate, @unchecked Sendable {
        let lock = PThreadMutex()
        let changed = ConditionVariable()
        private var _wakes = 0
        private var _interrupts = 0
        var wakes: Int { lock.withLock { _wakes } }
        var interrupts: Int { lock.withLock { _interrupts } }

        /// Waits until `predicate(wakes, interrupts)` holds (bounded).
        func waitFor(_ predicate: (Int, Int) -> Bool) -> Bool {
            let deadline = MonotonicClock.nanoseconds(afterSeconds: 30)
            return lock.withLock {
                while !predicate(_wakes, _interrupts) {
                    if MonotonicClock.nanoseconds() >= deadline { return false }
                    changed.wait(lock, untilMonotonicNanoseconds: deadline)
                }
                return true
            }
        }

        /// While set, the first wakeup callback blocks until ``releaseFirstWake()``: it holds the
        /// reactor thread inside a callback, as a busy reactor would be.
        private var holdsFirstWake = false
        private var firstWakeReleased = false

        init(holdingFirstWake: Bool = false) {
            holdsFirstWake = holdingFirstWake
        }

        func releaseFirstWake() {
            lock.withLock { firstWakeReleased = true; changed.broadcast() }
        }

        func reactorDidWake(_ reactor: Reactor) {
            reactor.assertOnReactorThread()
            lock.withLock {
                _wakes += 1
                changed.broadcast()
                if _wakes == 1, holdsFirstWake {
                    let deadline = MonotonicClock.nanoseconds(afterSeconds: 60)
                    while !firstWakeReleased, MonotonicClock.nanoseconds() < deadline {
                        changed.wait(lock, untilMonotonicNanoseconds: deadline)
                    }
                }
            }
        }
        func reactorDidReceiveInterrupt(_ reactor: Reactor) {
            lock.withLock { _interrupts += 1; changed.broadcast() }
        }
        func reactor(_ reactor: Reactor, admitConnectionFrom remote: SocketAddress) -> UInt64? { nil }
        func reactor(_ reactor: Reactor, didAccept connection: ReactorConnection) {}
        func reactor(_ reactor: Reactor, acceptFailed failure: AcceptFailure) {}
        func connectionDidConnect(_ connection: ReactorConnection) {}
        func connection(_ connection: ReactorConnection, didReceive frames: inout [Frame], byteCount: Int, hasPartialFrame: Bool) -> Bool { true }
        func connection(_ connection: ReactorConnection, didDropFrame error: FrameError) {}
        func connection(_ connection: ReactorConnection, didWrite byteCount: Int) {}
        func connection(_ connection: ReactorConnection, didClose failure: ConnectionFailure) {}
    }

    /// While the reactor is busy in a callback, any number of `wakeUp()` calls from other threads
    /// collapse into exactly one more callback, and a wakeup made during a callback is not lost.
    func testManyWakeUpsCoalesceAndEachBatchIsSeen() throws {
        let reactor = try Reactor(configuration: ReactorConfiguration(magic: Network.regtest.magic))
        let delegate = Delegate(holdingFirstWake: true)
        try reactor.start(delegate: delegate)
        XCTAssertFalse(reactor.isOnReactorThread)
        reactor.wakeUp()
        XCTAssertTrue(delegate.waitFor { wakes, _ in wakes == 1 }, "the first wakeup reached the callback")
        // The reactor thread is now held inside that callback (the pending flag was cleared before it).
        let calls = 10_000
        let threads = (0..<2).map { _ in NativeThread { for _ in 0..<calls { reactor.wakeUp() } } }
        threads.forEach { $0.join() }
        delegate.releaseFirstWake()
        XCTAssertTrue(delegate.waitFor { wakes, _ in wakes == 2 }, "the wakeups made during the callback were lost")
        XCTAssertEqual(reactor.statistics.wakeups, 2, "\(2 * calls) wakeUp() calls during one callback became one")
        // Nothing else is pending: the stop request is the third and last callback.
        reactor.requestStop()
        reactor.join()
        XCTAssertEqual(delegate.wakes, 3)
        XCTAssertEqual(reactor.statistics.wakeups, 3)
    }

    func testInterruptIsDeliveredOnTheReactorThread() throws {
        let reactor = try Reactor(configuration: ReactorConfiguration(magic: Network.regtest.magic))
        let delegate = Delegate()
        try reactor.start(delegate: delegate)
        reactor.interrupt()
        XCTAssertTrue(delegate.waitFor { _, interrupts in interrupts == 1 })
        reactor.requestStop()
        reactor.join()
        reactor.join()  // idempotent
    }

    func testListenersBindKernelChosenPortsAndABusyPortFails() throws {
        let configuration = ReactorConfiguration(
            magic: Network.regtest.magic, listenAddresses: [.ipv4Loopback(), .ipv6Loopback()])
        let reactor = try Reactor(configuration: configuration)
        let delegate = Delegate()
        let bound = try reactor.start(delegate: delegate)
        XCTAssertEqual(bound.count, 2)
        XCTAssertTrue(bound.allSatisfy { $0.port != 0 })
        var busy = ReactorConfiguration(magic: Network.regtest.magic, listenAddresses: [bound[0]])
        busy.acceptBackoffMicroseconds = 1000
        let second = try Reactor(configuration: busy)
        XCTAssertThrowsError(try second.start(delegate: Delegate())) { error in
            guard case ReactorError.bindFailed(_, let code) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, EADDRINUSE)
        }
        reactor.requestStop()
        reactor.join()
    }

    /// scripts/test runs the engine tests twice: with epoll, and with `EVENT_NOEPOLL=1` (poll), both
    /// with `DILITHION_LIBEVENT_DEBUG=1`. This checks the backend and debug mode each pass really used.
    func testBackendAndDebugModeFollowTheEnvironment() throws {
        let reactor = try Reactor(configuration: ReactorConfiguration(magic: Network.regtest.magic))
        XCTAssertNil(reactor.backendMethod)
        try reactor.start(delegate: Delegate())
        let environment = ProcessInfo.processInfo.environment
        let expected = environment["EVENT_NOEPOLL"] == nil ? "epoll" : "poll"
        XCTAssertEqual(reactor.backendMethod, expected)
        XCTAssertEqual(Reactor.isLibeventDebugModeOn, environment["DILITHION_LIBEVENT_DEBUG"] == "1")
        reactor.requestStop()
        reactor.join()
    }

    func testSocketAddressParsesNumericHostsOnly() {
        XCTAssertEqual(SocketAddress(host: "127.0.0.1", port: 8444)?.description, "127.0.0.1:8444")
        XCTAssertEqual(SocketAddress(host: "::1", port: 1)?.description, "[::1]:1")
        XCTAssertNil(SocketAddress(host: "localhost", port: 1))
    }
}
