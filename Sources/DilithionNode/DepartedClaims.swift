import DilithionNet
import DilithionWire

/// The branches claimed by peers that have left (their last header, off the active chain), kept
/// until the branch is either delivered or expires, so that a peer cannot dodge the
/// withheld-branch penalty by disconnecting (or by being disconnected as a staller) first.
/// Bounded: the oldest claims go first.
struct DepartedClaims {
    /// Most claims kept.
    static let capacity = 1_024

    private var entries: [(peer: PeerID, host: String, hash: Hash256, at: Int64)] = []

    /// Remembers that `peer` at `host` claimed `hash` and left at `at` (wall seconds).
    mutating func add(peer: PeerID, host: String, hash: Hash256, at: Int64) {
        entries.append((peer, host, hash, at))
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }

    /// The claimed hashes (to watch while pruning).
    var hashes: Set<Hash256> { Set(entries.map(\.hash)) }

    /// Removes and returns the departed peers whose claim is in `withheld`; forgets claims older
    /// than `cutoff` (their branch outlived the expiry, so it was delivered).
    mutating func settle(withheld: Set<Hash256>, forgettingBefore cutoff: Int64) -> [(peer: PeerID, host: String)] {
        var hosts = [(peer: PeerID, host: String)]()
        entries.removeAll { entry in
            if withheld.contains(entry.hash) {
                hosts.append((entry.peer, entry.host))
                return true
            }
            return entry.at < cutoff
        }
        return hosts
    }

    /// Claims kept now.
    var count: Int { entries.count }
}
