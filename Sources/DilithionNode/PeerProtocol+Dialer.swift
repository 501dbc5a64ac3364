import DilithionNet
import DilithionSystem
import DilithionWire
import Logging

#if canImport(Glibc)
import Glibc
#endif

extension PeerProtocol {
    /// The dialer thread: dials due targets, ends address fetches past their deadline, sends
    /// queued address relays whose time has come, then sleeps until the next of these is due or
    /// it is woken (a peer left, a target or addresses were added, shutdown). Its wait is a
    /// deadline, not a poll.
    func runDialer() {
        lock.lock()
        while !isStopping {
            let now = clock.now.nanoseconds
            let outbound = sessions.values.filter { $0.direction == .outbound && !dial.isAddressFetch(peer: $0.id) }.count
            let pending = dial.slotHoldersInProgress - outbound
            let free = max(0, configuration.maxOutbound - outbound - max(pending, 0))
            var needAddresses = false
            if !dial.connectOnly && free > 0 { needAddresses = fillFromAddressBookLocked(free: free) < free }
            for peer in dial.takeExpiredFetches(nowNanoseconds: now) {
                logger.debug("address fetch timed out", metadata: ["peer": "\(peer.rawValue)"])
                engine?.disconnect(peer, reason: .localRequest)
            }
            var (due, next) = dial.due(nowNanoseconds: now, freeSlots: free, needAddresses: needAddresses)
            for target in due {
                if bans.isBanned(target.address.host, now: wallClock.now) { continue }
                guard let peer = engine?.connect(to: target.address) else { continue }
                dial.dialed(target.key, peer: peer, nowNanoseconds: now)
                addresses.markAttempt(key: target.key, now: wallClock.now)
                logger.debug("dialing", metadata: [
                    "peer": "\(peer.rawValue)", "addr": "\(target.key)", "fetch": "\(target.isAddressFetch)"])
            }
            forgetDepartedAddressPeersLocked()
            let nowSeconds = Double(now) / 1e9
            if let flushAt = nextAddressFlushSeconds, flushAt <= nowSeconds {
                nextAddressFlushSeconds = nil
                flushAddressRelayLocked(nowSeconds: nowSeconds)
            }
            if let flushAt = nextAddressFlushSeconds { next = min(next, UInt64(flushAt * 1e9)) }
            if isStopping { break }
            dialerCondition.wait(lock, untilMonotonicNanoseconds: clock.monotonicNanoseconds(at: EngineInstant(nanoseconds: next)))
        }
        lock.unlock()
    }

    /// Adds address-book candidates as automatic targets while outbound slots are free: each from
    /// a network group no other outbound connection uses, never our own address. Returns how
    /// many it added.
    func fillFromAddressBookLocked(free: Int) -> Int {
        var existing = Set(dial.targets.keys)
        if let local = advertisedAddress { existing.insert(NetAddressKey.key(local)) }
        var generator = SystemRandomNumberGenerator()
        let picked = addresses.candidates(
            excluding: existing, groupsInUse: dial.outboundGroups(), limit: free, now: wallClock.now, using: &generator)
        for entry in picked {
            dial.add(entry.key, port: parameters.defaultPort, manual: false, oneShot: true)
        }
        return picked.count
    }
}
