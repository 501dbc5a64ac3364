import DilithionSystem
import Foundation

/// Banned addresses (by IP), with expiry, persisted to `banlist.json` in the data directory.
///
/// Thread-safe. Expired entries are dropped on every read. Every change is written atomically.
public final class BanList: @unchecked Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var address: String
        public var bannedUntil: Int64
        public var createdAt: Int64
        public var reason: String
    }

    /// Default ban duration (C++ `DEFAULT_BAN_TIME`).
    public static let defaultDuration: Int64 = 3600
    /// Ban for an obsolete protocol version (C++: 10 minutes).
    public static let obsoleteVersionDuration: Int64 = 600
    /// Most entries kept (C++: 10 000).
    public static let capacity = 10_000

    private let path: String?
    private let lock = PThreadMutex()
    // guarded by lock
    private var entries: [String: Entry] = [:]

    /// Loads the list from `path` (nil keeps it in memory only). A missing file is an empty list; an
    /// unreadable one is reported by the error.
    public init(path: String?, now: Int64) throws {
        self.path = path
        if let path, FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let loaded = try JSONDecoder().decode([Entry].self, from: data)
            for entry in loaded where entry.bannedUntil > now { entries[entry.address] = entry }
        }
    }

    public func isBanned(_ address: String, now: Int64) -> Bool {
        lock.withLock { (entries[address]?.bannedUntil ?? 0) > now }
    }

    /// Bans `address` until `now + duration` (extends, never shortens, an existing ban).
    public func ban(_ address: String, duration: Int64, reason: String, now: Int64) {
        lock.withLock {
            let until = max(entries[address]?.bannedUntil ?? 0, now + duration)
            entries[address] = Entry(address: address, bannedUntil: until, createdAt: now, reason: reason)
            if entries.count > Self.capacity, let oldest = entries.values.min(by: { $0.bannedUntil < $1.bannedUntil }) {
                entries[oldest.address] = nil
            }
        }
        persist()
    }

    @discardableResult
    public func unban(_ address: String) -> Bool {
        let removed = lock.withLock { entries.removeValue(forKey: address) != nil }
        if removed { persist() }
        return removed
    }

    public func clear() {
        lock.withLock { entries.removeAll() }
        persist()
    }

    public func list(now: Int64) -> [Entry] {
        lock.withLock {
            entries = entries.filter { $0.value.bannedUntil > now }
            return entries.values.sorted { $0.address < $1.address }
        }
    }

    private func persist() {
        guard let path else { return }
        let snapshot = lock.withLock { Array(entries.values).sorted { $0.address < $1.address } }
        if let data = try? JSONEncoder().encode(snapshot) { try? AtomicFile.write(data, to: path) }
    }
}
