import DilithionSystem
import DilithionWire
import Foundation

/// Addresses of peers we may connect to, learnt from `addr`, `version` and successful connections,
/// persisted to `peers.json` in the data directory (atomic write) and reloaded at start.
///
/// Bounded (``capacity`` entries; the stalest are dropped). Only addresses the ``AddressPolicy``
/// calls routable are learnt from the network. Answers `getaddr` with a random sample of its good
/// entries and their real last-seen times (never time 0, unlike the C++ node), and picks outbound
/// candidates at random from distinct network groups (``candidates(excluding:groupsInUse:limit:now:using:)``).
public final class AddressBook: @unchecked Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var host: String
        public var port: UInt16
        public var services: UInt64
        /// Unix time the address was last seen or vouched for.
        public var lastSeen: Int64
        public var lastSuccess: Int64?
        /// Dial attempts since the last success.
        public var attempts: Int
        /// Unix time of the last dial attempt.
        public var lastAttempt: Int64?
        public var key: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        public var address: NetAddress? { NetAddress(host: host, port: port, services: services) }
    }

    public static let capacity = 20_000
    /// Most addresses in one `getaddr` reply (Bitcoin Core's `MAX_ADDR_TO_SEND`; the C++ node
    /// sends at most 1 000 too).
    public static let maxReply = 1_000
    /// Entries not seen for this long are left out of `getaddr` replies (Bitcoin Core: 30 days).
    public static let replyHorizonSeconds: Int64 = 30 * 24 * 3600
    /// Failed dials that make an address "terrible" until it answers again.
    public static let failuresBeforeTerrible = 3
    /// Back-off after the first failed dial of an address (a peer restarting is back within
    /// seconds); doubles per failure, up to an hour.
    public static let retryDelaySeconds: Int64 = 10
    public static let maxRetryDelaySeconds: Int64 = 3600

    public let policy: AddressPolicy
    private let path: String?
    private let lock = PThreadMutex()
    // guarded by lock
    private var entries: [String: Entry] = [:]

    public init(path: String?, policy: AddressPolicy = .internet) throws {
        self.path = path
        self.policy = policy
        if let path, FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            for entry in try JSONDecoder().decode([Entry].self, from: data) { entries[entry.key] = entry }
        }
    }

    public var count: Int { lock.withLock { entries.count } }

    /// Every entry (tests, diagnostics).
    public var allEntries: [Entry] { lock.withLock { Array(entries.values) } }

    /// Learns an address (from `addr` or a peer's `version`) if the policy calls it routable.
    /// Times in the future are clamped to now. Returns true when the address was new.
    @discardableResult
    public func add(_ address: NetAddress, seen: Int64, now: Int64) -> Bool {
        guard policy.isRoutable(address) else { return false }
        let time = min(seen, now)
        return lock.withLock {
            let key = NetAddressKey.key(address)
            if var existing = entries[key] {
                existing.lastSeen = max(existing.lastSeen, time)
                existing.services |= address.services
                entries[key] = existing
                return false
            }
            entries[key] = Entry(host: address.host, port: address.port, services: address.services,
                                 lastSeen: time, lastSuccess: nil, attempts: 0, lastAttempt: nil)
            if entries.count > Self.capacity,
               let stalest = entries.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                entries[stalest.key] = nil
            }
            return true
        }
    }

    /// Records a successful outbound connection (also: a connected peer is still there).
    public func markGood(host: String, port: UInt16, now: Int64) {
        lock.withLock {
            let key = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            var entry = entries[key] ?? Entry(
                host: host, port: port, services: 1, lastSeen: now, lastSuccess: nil, attempts: 0, lastAttempt: nil)
            entry.lastSeen = now
            entry.lastSuccess = now
            entry.attempts = 0
            entries[key] = entry
        }
    }

    /// Records a dial attempt (a success resets the count through ``markGood(host:port:now:)``).
    public func markAttempt(key: String, now: Int64) {
        lock.withLock {
            entries[key]?.attempts += 1
            entries[key]?.lastAttempt = now
        }
    }

    /// Forgets an address (our own, learnt back from a peer).
    public func remove(key: String) {
        lock.withLock { entries[key] = nil }
    }

    /// A `getaddr` reply: up to `limit` good routable entries, chosen at random, each with its real
    /// last-seen time. Entries not seen within ``replyHorizonSeconds`` and addresses that failed
    /// ``failuresBeforeTerrible`` dials in a row are left out.
    public func reply(limit: Int = maxReply, now: Int64, using generator: inout some RandomNumberGenerator) -> [TimestampedAddress] {
        let good: [TimestampedAddress] = lock.withLock {
            entries.values.compactMap { entry in
                guard now - entry.lastSeen <= Self.replyHorizonSeconds,
                      entry.attempts < Self.failuresBeforeTerrible || entry.lastSuccess != nil,
                      let address = entry.address, policy.isRoutable(address) else { return nil }
                return TimestampedAddress(time: UInt32(clamping: entry.lastSeen), address: address)
            }
        }
        return Array(good.shuffled(using: &generator).prefix(limit))
    }

    /// Outbound candidates: routable entries not in `excluding`, each from a network group not in
    /// `groupsInUse` and none sharing a group, chosen at random with fewer failed attempts first.
    /// An address whose last dial failed waits ``retryDelaySeconds`` (doubling per failure, up to
    /// ``maxRetryDelaySeconds``) before it is a candidate again.
    public func candidates(
        excluding: Set<String>, groupsInUse: Set<[UInt8]>, limit: Int, now: Int64,
        using generator: inout some RandomNumberGenerator
    ) -> [Entry] {
        guard limit > 0 else { return [] }
        let eligible: [(entry: Entry, group: [UInt8])] = lock.withLock {
            entries.values.compactMap { entry in
                guard !excluding.contains(entry.key), let address = entry.address, policy.isRoutable(address),
                      Self.isDue(entry, now: now) else { return nil }
                let group = AddressPolicy.networkGroup(address)
                return groupsInUse.contains(group) ? nil : (entry, group)
            }
        }
        var picked: [Entry] = []
        var groups = groupsInUse
        let ordered = eligible.shuffled(using: &generator).enumerated()
            .sorted { ($0.element.entry.attempts, $0.offset) < ($1.element.entry.attempts, $1.offset) }
        for (_, candidate) in ordered where picked.count < limit {
            if groups.insert(candidate.group).inserted { picked.append(candidate.entry) }
        }
        return picked
    }

    static func isDue(_ entry: Entry, now: Int64) -> Bool {
        guard entry.attempts > 0, let last = entry.lastAttempt else { return true }
        let exponent = Int64(min(entry.attempts - 1, 20))
        let delay = min(retryDelaySeconds << exponent, maxRetryDelaySeconds)
        return now - last >= delay
    }

    public func save() throws {
        guard let path else { return }
        let snapshot = lock.withLock { entries.values.sorted { $0.key < $1.key } }
        try AtomicFile.write(try JSONEncoder().encode(snapshot), to: path)
    }
}

/// "host:port" keys for addresses (IPv6 in brackets).
enum NetAddressKey {
    static func key(_ address: NetAddress) -> String { address.isIPv4 ? "\(address.host):\(address.port)" : "[\(address.host)]:\(address.port)" }

    /// Parses "host:port", "[v6]:port" or a bare host (with `defaultPort`).
    static func parse(_ text: String, defaultPort: UInt16) -> SocketAddress? {
        var host = text
        var port = defaultPort
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = UInt16(rest.dropFirst()) else { return nil }
                port = value
            } else if !rest.isEmpty { return nil }
        } else if let colon = text.lastIndex(of: ":"), text.filter({ $0 == ":" }).count == 1 {
            host = String(text[..<colon])
            guard let value = UInt16(text[text.index(after: colon)...]) else { return nil }
            port = value
        }
        return SocketAddress(host: host, port: port)
    }
}
