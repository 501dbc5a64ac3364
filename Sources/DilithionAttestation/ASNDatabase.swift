#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 → autonomous system table loaded from iptoasn.com's `ip2asn-v4.tsv`
/// (`start_ip ⇥ end_ip ⇥ ASN ⇥ country ⇥ description`, one range per line), as the C++ node's
/// `CASNDatabase` reads it: lines with fewer than four fields or a bad address are skipped, ASN 0
/// ("Not routed") rows are skipped, and a lookup finds the range with the greatest start at or below
/// the address, then checks its end. An address in no range has ASN 0 and is not a datacenter
/// address (the C++ node fails open there too).
///
/// Immutable after loading, so lookups need no lock.
public struct ASNDatabase: Sendable {
    /// One range, host-order addresses, inclusive.
    struct Range: Sendable {
        let start: UInt32
        let end: UInt32
        let asn: UInt32
        let descriptionIndex: Int32
    }

    /// Sorted by `start`.
    private let ranges: [Range]
    /// Distinct descriptions (tens of thousands of ranges share each one).
    private let descriptions: [String]
    /// What loading found, for the start-up log.
    public let loadReport: LoadReport

    /// Counts from one load.
    public struct LoadReport: Sendable, Equatable {
        /// Ranges kept.
        public var ranges = 0
        /// Rows with ASN 0 ("Not routed"), skipped as the C++ node does.
        public var notRouted = 0
        /// Lines that are not a range (too few fields, bad address or ASN, start after end, too long).
        public var malformed = 0
    }

    /// A lookup result.
    public struct Entry: Sendable, Equatable {
        /// The AS number (never 0).
        public let asn: UInt32
        /// The AS description, e.g. `CLOUDFLARENET` (possibly empty).
        public let description: String
    }

    /// Parses the whole text of an `ip2asn-v4.tsv` file.
    public init(tsv bytes: [UInt8]) {
        var report = LoadReport()
        var ranges: [Range] = []
        var descriptions: [String] = []
        var descriptionIndex: [String: Int32] = [:]
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var line = bytes[lineStart..<lineEnd]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard line.count <= AttestationLimits.maxASNLineBytes else { report.malformed += 1; continue }
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 4, omittingEmptySubsequences: false)
            guard fields.count >= 4, let start = IPv4.parse(utf8: fields[0]), let end = IPv4.parse(utf8: fields[1]),
                  start <= end, let asn = Self.decimal(fields[2]) else {
                report.malformed += 1
                continue
            }
            guard asn != 0 else { report.notRouted += 1; continue }
            let text = fields.count > 4
                ? String(decoding: fields[4].prefix(AttestationLimits.maxASNDescriptionBytes), as: UTF8.self) : ""
            let index: Int32
            if let known = descriptionIndex[text] {
                index = known
            } else {
                index = Int32(descriptions.count)
                descriptions.append(text)
                descriptionIndex[text] = index
            }
            ranges.append(Range(start: start, end: end, asn: asn, descriptionIndex: index))
        }
        // The file is sorted already; sorting again costs little and makes the lookup's premise true.
        ranges.sort { $0.start < $1.start }
        report.ranges = ranges.count
        self.ranges = ranges
        self.descriptions = descriptions
        self.loadReport = report
    }

    /// Loads `path`.
    public static func load(path: String) throws(AttestationSetupError) -> ASNDatabase {
        ASNDatabase(tsv: try DataFile.read(path: path, what: "ASN database"))
    }

    /// The range containing `address`, if any.
    public func lookup(_ address: UInt32) -> Entry? {
        // The first range whose start is above the address; the one before it is the candidate.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].start <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let range = ranges[low - 1]
        guard address <= range.end else { return nil }
        return Entry(asn: range.asn, description: descriptions[Int(range.descriptionIndex)])
    }

    /// Ranges loaded.
    public var rangeCount: Int { ranges.count }

    /// A decimal `UInt32` with nothing else in the field.
    static func decimal(_ field: some Collection<UInt8>) -> UInt32? {
        guard !field.isEmpty, field.count <= 10 else { return nil }
        var value: UInt64 = 0
        for byte in field {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }
}
