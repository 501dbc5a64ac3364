/// The open connections of an ``HTTPServer`` by id, with a count per client address (the
/// per-address limit's key). I/O thread only (the owning ``HTTPIOLoop``'s).
struct HTTPConnectionTable {
    private var byID: [Int: HTTPConnection] = [:]
    private var perAddress: [String: Int] = [:]
    private var lastID = 0

    /// Connections open.
    var count: Int { byID.count }
    var isEmpty: Bool { byID.isEmpty }
    /// Every open connection, in no particular order.
    var all: Dictionary<Int, HTTPConnection>.Values { byID.values }

    /// The open connection with `id`, nil once it was closed.
    subscript(id: Int) -> HTTPConnection? { byID[id] }

    /// Connections open from `address`.
    func count(from address: String) -> Int { perAddress[address, default: 0] }

    /// Adds a connection with the next id.
    mutating func insert(fd: Int32, address: String, parser: HTTPRequestParser, now: Double) {
        lastID += 1
        byID[lastID] = HTTPConnection(id: lastID, fd: fd, address: address, parser: parser, now: now)
        perAddress[address, default: 0] += 1
    }

    /// Removes `connection`; false when it was not (or no longer) in the table.
    mutating func remove(_ connection: HTTPConnection) -> Bool {
        guard byID.removeValue(forKey: connection.id) != nil else { return false }
        let remaining = perAddress[connection.address, default: 1] - 1
        perAddress[connection.address] = remaining > 0 ? remaining : nil
        return true
    }

    /// The connection (of `address`, or any) to close to make room: one already answered and
    /// lingering, else the one that has waited longest for a request to arrive; nil when every
    /// one has a request being answered.
    func evictionCandidate(from address: String?) -> HTTPConnection? {
        let candidates = byID.values.filter { address == nil || $0.address == address }
        return candidates.first(where: \.isLingering)
            ?? candidates.filter(\.isAwaitingRequest).min { $0.phaseStart < $1.phaseStart }
    }
}
