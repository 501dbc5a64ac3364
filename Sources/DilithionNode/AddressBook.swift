import DilithionSystem
import DilithionWire
import Foundation

/// Addresses of peers we may connect to, learnt from `addr`, `version` and successful connections,
/// persisted to `peers.json` in the data directory (atomic write) and reloaded at start.
///
/// Bounded (``capacity`` entries; the stalest are dropped). Answers `getaddr` with routable
/// entries and their real last-seen times (never time 0, unlike the C++ node).
public final class AddressBook: @unchecked Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var host: String
        public var port: UInt16
        public var services: UInt64
        /// Unix time the address was last seen or vouched for.
        public var lastSeen: Int64
        public var lastSuccess: Int64?
        public var attempts: Int
        public var key: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public static let capacity = 20_000
    /// Most addresses in one `getaddr` reply.
    public static let maxReply = 1_000

    private let path: String?
    private let lock = PThreadMutex()
    // guarded by lock
    private var entries: [String: Entry] = [:]

    public init(path: String?) throws {
        self.path = path
        if let path, FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            for entry in try JSONDecoder().decode([Entry].self, from: data) { entries[entry.key] = entry }
        }
    }

    public var count: Int { lock.withLock { entries.count } }

    /// Learns an address (from `addr` or a peer's `version`). Times in the future are clamped to now.
    public func add(_ address: NetAddress, seen: Int64, now: Int64) {
        let time = min(seen, now)
        lock.withLock {
            let key = NetAddressKey.key(address)
            if var existing = entries[key] {
                existing.lastSeen = max(existing.lastSeen, time)
                existing.services |= address.services
                entries[key] = existing
            } else {
                entries[key] = Entry(host: address.host, port: address.port, services: address.services,
                                     lastSeen: time, lastSuccess: nil, attempts: 0)
                if entries.count > Self.capacity,
                   let stalest = entries.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                    entries[stalest.key] = nil
                }
            }
        }
    }

    /// Records a successful outbound connection.
    public func markGood(host: String, port: UInt16, now: Int64) {
        lock.withLock {
            let key = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            var entry = entries[key] ?? Entry(host: host, port: port, services: 1, lastSeen: now, lastSuccess: nil, attempts: 0)
            entry.lastSeen = now
            entry.lastSuccess = now
            entry.attempts = 0
            entries[key] = entry
        }
    }

    public func markAttempt(key: String) {
        lock.withLock { entries[key]?.attempts += 1 }
    }

    /// Routable entries for a `getaddr` reply, most recently seen first.
    public func reply(limit: Int = maxReply) -> [TimestampedAddress] {
        lock.withLock {
            entries.values
                .compactMap { entry -> (Int64, TimestampedAddress)? in
                    guard let address = NetAddress(host: entry.host, port: entry.port, services: entry.services),
                          address.isRoutable else { return nil }
                    return (entry.lastSeen, TimestampedAddress(time: UInt32(clamping: entry.lastSeen), address: address))
                }
                .sorted { $0.0 > $1.0 }
                .prefix(limit)
                .map(\.1)
        }
    }

    /// Routable candidates to dial automatically, best first (few failed attempts, recently seen).
    /// Loopback and private addresses are dialed only when named explicitly (`--connect`, `--addnode`).
    public func candidates(excluding: Set<String>, limit: Int) -> [Entry] {
        lock.withLock {
            entries.values.filter { entry in
                !excluding.contains(entry.key)
                    && (NetAddress(host: entry.host, port: entry.port)?.isRoutable ?? false)
            }
                .sorted { ($0.attempts, -$0.lastSeen) < ($1.attempts, -$1.lastSeen) }
                .prefix(limit).map { $0 }
        }
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
