import Foundation
import Testing
@testable import DilithionAttestation

@Suite struct ASNDatabaseTests {
    static let table = """
        # comment
        1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET
        1.0.1.0\t1.0.3.255\t0\tNone\tNot routed
        1.0.4.0\t1.0.7.255\t38803\tAU\tGTELECOM-AUSTRALIA Gtelecom Pty Ltd\r
        1.0.8.0\t1.0.15.255\t4134\tCN
        bogus line
        1.0.16.0\t1.0.16.9\t99999999999\tXX\ttoo large an ASN
        1.0.32.0\t1.0.31.255\t7\tXX\tstart after end
        9.9.9.0\t9.9.9.255\t19281\tUS\tQUAD9-AS-1
        """

    @Test func loadsLikeTheCppReaderAndReportsWhatItSkipped() {
        let database = ASNDatabase(tsv: Array(Self.table.utf8))
        #expect(database.rangeCount == 4)
        #expect(database.loadReport == ASNDatabase.LoadReport(ranges: 4, notRouted: 1, malformed: 3))
    }

    @Test func lookupFindsTheRangeHoldingTheAddress() throws {
        let database = ASNDatabase(tsv: Array(Self.table.utf8))
        func asn(_ text: String) throws -> UInt32? { database.lookup(try #require(IPv4.parse(text)))?.asn }
        #expect(try asn("0.255.255.255") == nil)  // before the first range
        #expect(try asn("1.0.0.0") == 13335)
        #expect(try asn("1.0.0.255") == 13335)
        #expect(try asn("1.0.1.7") == nil)  // "Not routed" is not a range
        #expect(try asn("1.0.4.0") == 38803)
        #expect(try asn("1.0.15.255") == 4134)
        #expect(try asn("1.0.16.0") == nil)  // a gap
        #expect(try asn("9.9.9.9") == 19281)
        #expect(try asn("200.1.1.1") == nil)  // after the last range
        #expect(database.lookup(try #require(IPv4.parse("1.0.4.9")))?.description == "GTELECOM-AUSTRALIA Gtelecom Pty Ltd")
        #expect(database.lookup(try #require(IPv4.parse("1.0.9.9")))?.description == "")
    }

    @Test func datacenterListTakesASPrefixesAndCommentsAndNamesBadLines() {
        let list = DatacenterASNList(text: Array("# header\nAS396982   # Google Cloud\n16509\n  as8075\n\nASX\n0\n".utf8))
        #expect(list.asns == [396_982, 16509, 8075])
        #expect(list.malformedLines == [6, 7])
    }

    @Test func theShippedDatacenterListParsesWhole() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../contrib/attestation/datacenter-asns.txt").standardized.path
        let list = try DatacenterASNList.load(path: path)
        #expect(list.malformedLines.isEmpty)
        #expect(list.asns.count == 34)
        #expect(list.contains(16509) && list.contains(14061) && list.contains(24940))  // AWS, DigitalOcean, Hetzner
    }

    @Test func ipv4ParsingIsStrict() {
        #expect(IPv4.parse("127.0.1.10") == 0x7F00_010A)
        #expect(IPv4.parse("::ffff:10.1.2.3") == 0x0A01_0203)
        #expect(IPv4.parse("::FFFF:10.1.2.3") == 0x0A01_0203)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", " 1.2.3.4", "1.2.3.4 ", "0001.2.3.4", "::1", "a.b.c.d"] {
            #expect(IPv4.parse(bad) == nil, "\(bad)")
        }
        #expect(IPv4.format(0x7F00_010A) == "127.0.1.10")
        #expect(IPv4.subnet24(0x7F00_010A) == 0x7F00_0100)
    }
}
