/// The AS numbers whose addresses count as datacenter/VPN addresses: a text file, one ASN per line
/// with or without an `AS` prefix, `#` starting a comment, as the C++ node's `datacenter-asns.txt`.
/// The list is data, kept outside the binary (the repository ships one in `contrib/attestation/`),
/// so an operator can add a provider and restart without a new build.
public struct DatacenterASNList: Sendable, Equatable {
    /// The numbers.
    public let asns: Set<UInt32>
    /// Lines that held something other than an ASN (reported at start-up; the C++ node skips them
    /// silently).
    public let malformedLines: [Int]

    /// A list of the given numbers.
    public init(asns: Set<UInt32>) {
        self.asns = asns
        self.malformedLines = []
    }

    /// Parses the file's text.
    public init(text bytes: [UInt8]) {
        var asns = Set<UInt32>()
        var malformed: [Int] = []
        for (number, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = line[..<hash] }
            let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            while let first = line.first, blank(first) { line = line.dropFirst() }
            while let last = line.last, blank(last) { line = line.dropLast() }
            if line.isEmpty { continue }
            if line.count > 2, (line.first == UInt8(ascii: "A") || line.first == UInt8(ascii: "a")),
               line.dropFirst().first == UInt8(ascii: "S") || line.dropFirst().first == UInt8(ascii: "s") {
                line = line.dropFirst(2)
            }
            guard let asn = ASNDatabase.decimal(line), asn != 0 else {
                malformed.append(number + 1)
                continue
            }
            asns.insert(asn)
        }
        self.asns = asns
        self.malformedLines = malformed
    }

    /// Loads `path`.
    public static func load(path: String) throws(AttestationSetupError) -> DatacenterASNList {
        DatacenterASNList(text: try DataFile.read(path: path, what: "datacenter ASN list"))
    }

    /// Whether `asn` is listed.
    public func contains(_ asn: UInt32) -> Bool { asns.contains(asn) }
}
