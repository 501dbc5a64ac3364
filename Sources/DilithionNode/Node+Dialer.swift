import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

#if canImport(Glibc)
import Glibc
#endif

extension Node {
    /// The dialer thread: dials due targets, then sleeps until the next attempt is due or it is
    /// woken (a peer left, a target was added, shutdown). Its wait is a deadline, not a poll.
    func runDialer() {
        lock.lock()
        while !isStopping {
            let now = clock.now.nanoseconds
            let outbound = sessions.values.filter { $0.direction == .outbound }.count
            let pending = dial.outboundInProgress - outbound
            let free = max(0, configuration.maxOutbound - outbound - max(pending, 0))
            if !dial.connectOnly && free > 0 { fillFromAddressBookLocked(free: free) }
            let (due, next) = dial.due(nowNanoseconds: now, freeSlots: free)
            for target in due {
                if bans.isBanned(target.address.host, now: wallClock.now) { continue }
                guard let peer = manager.connect(to: target.address) else { continue }
                dial.dialed(target.key, peer: peer)
                addresses.markAttempt(key: target.key)
                peerLogger.debug("dialing", metadata: ["peer": "\(peer.rawValue)", "addr": "\(target.key)"])
            }
            if isStopping { break }
            dialerCondition.wait(lock, untilMonotonicNanoseconds: clock.monotonicNanoseconds(at: EngineInstant(nanoseconds: next)))
        }
        lock.unlock()
    }

    /// Adds address-book entries as automatic targets while outbound slots are free.
    func fillFromAddressBookLocked(free: Int) {
        let existing = Set(dial.targets.keys)
        for entry in addresses.candidates(excluding: existing, limit: free) {
            dial.add(entry.key, port: parameters.defaultPort, manual: false, oneShot: true)
        }
    }
}
