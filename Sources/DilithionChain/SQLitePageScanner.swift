import Foundation

/// Reads table rows straight from the pages of an SQLite database file and its write-ahead log,
/// without SQLite: the salvage path of `--reindex` for a file that SQLite refuses to read past a
/// damaged page (a torn end, garbage over a page). SQLite navigates from the root page down, so
/// one damaged interior page hides every row below it; a scan of the pages finds every table-leaf
/// cell whose own bytes (and overflow chain) survived, wherever it is.
///
/// Follows the documented file format (sqlite.org/fileformat2.html): the page size from the file
/// header (or the WAL header, or 4,096 when both are damaged), table-leaf pages (type 0x0D), cells
/// of `varint payload size ‖ varint rowid ‖ payload`, payload spilling into a chain of overflow
/// pages past the local limit, and records of `varint header size ‖ serial types ‖ values`. For a
/// page that also appears in the WAL, the last WAL frame of the current WAL generation (matching
/// salts) is read instead. Everything is bounds-checked: garbage yields no cell, never a crash.
/// What it returns may be stale (rows deleted since, pages on the freelist) or torn; the caller
/// validates every row it keeps.
struct SQLitePageScanner {
    /// A column value of a record.
    enum Value: Equatable {
        case null
        case integer(Int64)
        case real(UInt64)
        case text([UInt8])
        case blob([UInt8])
    }

    /// What a scan saw.
    struct Counters: Equatable {
        /// Pages read (main file and WAL).
        var pages = 0
        /// Table-leaf cells whose record decoded.
        var cells = 0
        /// Table-leaf cells that could not be read (bad offsets, broken overflow chain, bad record).
        var unreadableCells = 0
    }

    /// Records longer than this are not ours (a block message payload is at most ~4 MiB).
    static let maxRecordBytes = 8 << 20

    private let main: Data
    private let wal: Data
    /// Page number → offset of its page image in `wal` (the last frame of the current generation).
    private let walPages: [Int: Int]
    let pageSize: Int
    /// Page size minus the reserved bytes at the end of each page.
    let usableSize: Int

    /// Maps `path` (and `walPath` when it exists) read-only; nil when the main file cannot be read.
    init?(path: String, walPath: String?) {
        guard let main = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        let wal = walPath.flatMap { try? Data(contentsOf: URL(fileURLWithPath: $0), options: .alwaysMapped) } ?? Data()
        self.main = main
        self.wal = wal
        let headerPageSize = Self.pageSize(fromFileHeader: main)
        let walPageSize = Self.pageSize(fromWALHeader: wal)
        pageSize = headerPageSize ?? walPageSize ?? 4_096
        let reserved = headerPageSize != nil && main.count > 20 ? Int(main[main.startIndex + 20]) : 0
        usableSize = pageSize - reserved
        walPages = walPageSize == pageSize ? Self.indexFrames(of: wal, pageSize: pageSize) : [:]
    }

    // MARK: Headers

    private static func pageSize(fromFileHeader data: Data) -> Int? {
        guard data.count >= 100, data.prefix(16).elementsEqual(Array("SQLite format 3\0".utf8)) else { return nil }
        let raw = Int(data[data.startIndex + 16]) << 8 | Int(data[data.startIndex + 17])
        let size = raw == 1 ? 65_536 : raw
        return isValidPageSize(size) ? size : nil
    }

    private static func pageSize(fromWALHeader data: Data) -> Int? {
        guard data.count >= 32 else { return nil }
        let magic = bigEndian32(data, at: 0)
        guard magic == 0x377F_0682 || magic == 0x377F_0683 else { return nil }
        let size = Int(bigEndian32(data, at: 8))
        return isValidPageSize(size) ? size : nil
    }

    private static func isValidPageSize(_ size: Int) -> Bool {
        size >= 512 && size <= 65_536 && size & (size - 1) == 0
    }

    /// The WAL's frames (24-byte header + page) whose salts match the WAL header's: the latest
    /// frame of each page wins.
    private static func indexFrames(of wal: Data, pageSize: Int) -> [Int: Int] {
        guard wal.count >= 32 else { return [:] }
        let salts = (bigEndian32(wal, at: 16), bigEndian32(wal, at: 20))
        var frames = [Int: Int]()
        var offset = 32
        while offset + 24 + pageSize <= wal.count {
            let page = Int(bigEndian32(wal, at: offset))
            guard (bigEndian32(wal, at: offset + 8), bigEndian32(wal, at: offset + 12)) == salts, page > 0 else { break }
            frames[page] = offset + 24
            offset += 24 + pageSize
        }
        return frames
    }

    // MARK: Pages

    /// The image of page `number` (1-based), from the WAL when it has one.
    private func page(_ number: Int) -> Data? {
        if let offset = walPages[number] { return wal.subdata(in: (wal.startIndex + offset)..<(wal.startIndex + offset + pageSize)) }
        let start = (number - 1) * pageSize
        guard number >= 1, start + pageSize <= main.count else { return nil }
        return main.subdata(in: (main.startIndex + start)..<(main.startIndex + start + pageSize))
    }

    /// Calls `body` with the values of every readable record on every table-leaf page.
    func forEachRecord(_ body: ([Value]) throws -> Void) rethrows -> Counters {
        var counters = Counters()
        let lastPage = max(main.count / pageSize, walPages.keys.max() ?? 0)
        guard lastPage > 0 else { return counters }
        for number in 1...lastPage {
            guard let bytes = page(number).map({ [UInt8]($0) }) else { continue }
            counters.pages += 1
            let headerStart = number == 1 ? 100 : 0
            guard bytes.count > headerStart + 8, bytes[headerStart] == 0x0D else { continue }
            let cellCount = Int(bytes[headerStart + 3]) << 8 | Int(bytes[headerStart + 4])
            for cell in 0..<cellCount {
                let pointerAt = headerStart + 8 + 2 * cell
                guard pointerAt + 1 < usableSize else { break }
                let cellStart = Int(bytes[pointerAt]) << 8 | Int(bytes[pointerAt + 1])
                if let payload = cellPayload(in: bytes, at: cellStart), let values = Self.record(payload) {
                    counters.cells += 1
                    try body(values)
                } else {
                    counters.unreadableCells += 1
                }
            }
        }
        return counters
    }

    /// The full payload of the table-leaf cell at `start` in `page`, following its overflow chain.
    private func cellPayload(in page: [UInt8], at start: Int) -> [UInt8]? {
        var cursor = start
        guard start >= 8, start < usableSize,
            let payloadSize = Self.varint(page, at: &cursor, limit: usableSize), Self.varint(page, at: &cursor, limit: usableSize) != nil,
            payloadSize >= 0, payloadSize <= Self.maxRecordBytes
        else { return nil }
        let total = Int(payloadSize)
        let maxLocal = usableSize - 35
        let minLocal = (usableSize - 12) * 32 / 255 - 23
        var local = total
        if total > maxLocal {
            let candidate = minLocal + (total - minLocal) % (usableSize - 4)
            local = candidate <= maxLocal ? candidate : minLocal
        }
        guard cursor + local <= usableSize else { return nil }
        var payload = Array(page[cursor..<(cursor + local)])
        guard total > local else { return payload }
        guard cursor + local + 4 <= usableSize else { return nil }
        var next = Int(Self.bigEndian32(page, at: cursor + local))
        payload.reserveCapacity(total)
        var hops = 0
        let maxHops = total / (usableSize - 4) + 2
        while payload.count < total {
            hops += 1
            guard next > 0, hops <= maxHops, let overflow = self.page(next).map({ [UInt8]($0) }) else { return nil }
            let take = min(total - payload.count, usableSize - 4)
            payload.append(contentsOf: overflow[4..<(4 + take)])
            next = Int(Self.bigEndian32(overflow, at: 0))
        }
        return payload
    }

    // MARK: Records

    /// The values of a record (`varint header size ‖ serial types ‖ values`), or nil when it does
    /// not parse exactly.
    static func record(_ payload: [UInt8]) -> [Value]? {
        var cursor = 0
        guard let headerSize = varint(payload, at: &cursor, limit: payload.count), headerSize >= 1,
            Int(headerSize) <= payload.count
        else { return nil }
        var types = [Int64]()
        while cursor < Int(headerSize) {
            guard let type = varint(payload, at: &cursor, limit: Int(headerSize)) else { return nil }
            types.append(type)
        }
        var values = [Value]()
        var body = Int(headerSize)
        for type in types {
            guard let (value, length) = value(of: type, in: payload, at: body) else { return nil }
            values.append(value)
            body += length
        }
        return body == payload.count ? values : nil
    }

    private static func value(of type: Int64, in payload: [UInt8], at offset: Int) -> (Value, Int)? {
        let integerLengths: [Int64: Int] = [1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8]
        switch type {
        case 0: return (.null, 0)
        case 8: return (.integer(0), 0)
        case 9: return (.integer(1), 0)
        case 7:
            guard offset + 8 <= payload.count else { return nil }
            return (.real(payload[offset..<(offset + 8)].reduce(0) { $0 << 8 | UInt64($1) }), 8)
        case 1...6:
            let length = integerLengths[type]!
            guard offset + length <= payload.count else { return nil }
            var value = Int64(Int8(bitPattern: payload[offset]))  // sign of the first byte
            for byte in payload[(offset + 1)..<(offset + length)] { value = value << 8 | Int64(byte) }
            return (.integer(value), length)
        case 12...:
            let length = Int((type - 12) / 2)
            guard offset + length <= payload.count else { return nil }
            let bytes = Array(payload[offset..<(offset + length)])
            return (type % 2 == 0 ? .blob(bytes) : .text(bytes), length)
        default: return nil  // 10, 11 are reserved
        }
    }

    // MARK: Primitives

    /// An SQLite varint (big-endian 7-bit groups, the ninth byte whole) at `cursor`, before `limit`.
    static func varint(_ bytes: [UInt8], at cursor: inout Int, limit: Int) -> Int64? {
        var value: UInt64 = 0
        for index in 0..<9 {
            guard cursor < min(limit, bytes.count) else { return nil }
            let byte = bytes[cursor]
            cursor += 1
            if index == 8 { return Int64(bitPattern: value << 8 | UInt64(byte)) }
            value = value << 7 | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 { return Int64(bitPattern: value) }
        }
        return nil
    }

    private static func bigEndian32(_ data: Data, at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(data[data.startIndex + offset + $1]) }
    }

    private static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
}
