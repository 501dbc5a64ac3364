import DilithionWire
import XCTest

@testable import DilithionChain

/// The difficulty rules against an independent reference: `Tests/Fixtures/difficulty/
/// make-difficulty-cases.py` computes, with Python integers and straight from the C++ source, the
/// bits required at every retarget, EDA, ASERT and fork boundary of mainnet, testnet and DilV, and
/// which ancestor headers the rule reads. Each case gives the rule exactly those ancestors: reading
/// any other height fails the case.
final class DifficultyReferenceTests: XCTestCase {
    /// One case of `difficulty-cases.txt`.
    private struct ReferenceCase {
        var name: String
        var network: Network
        var height: Int
        var time: UInt32
        var expected: UInt32
        var ancestors: [Int: (time: UInt32, bits: UInt32)] = [:]
    }

    /// The ancestors of one case, behind a made-up tip hash; records heights asked for and missing.
    private final class SparseAncestry: HeaderAncestry {
        static let tip = Hash256(w0: 0x7469_7021, w1: 1, w2: 2, w3: 3)
        let headers: [Int: (time: UInt32, bits: UInt32)]
        private(set) var missing: [Int] = []

        init(_ headers: [Int: (time: UInt32, bits: UInt32)]) { self.headers = headers }

        func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader? {
            guard tip == Self.tip, let fields = headers[height] else {
                missing.append(height)
                return nil
            }
            return BlockHeader(
                version: 1, previousBlockHash: .zero, merkleRoot: .zero, time: fields.time, bits: fields.bits, nonce: 0)
        }
    }

    private func referenceCases() throws -> [ReferenceCase] {
        // #filePath = <root>/Tests/DilithionChainTests/DifficultyReferenceTests.swift
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        let path = parts.joined(separator: "/") + "/Fixtures/difficulty/difficulty-cases.txt"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var cases = [ReferenceCase]()
        var current: ReferenceCase?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            switch fields.first {
            case "case":
                current = ReferenceCase(
                    name: fields[1], network: try XCTUnwrap(Network(rawValue: fields[2])), height: try XCTUnwrap(Int(fields[3])),
                    time: try XCTUnwrap(UInt32(fields[4])), expected: try XCTUnwrap(UInt32(fields[5], radix: 16)))
            case "ancestor":
                current?.ancestors[try XCTUnwrap(Int(fields[1]))] = (
                    try XCTUnwrap(UInt32(fields[2])), try XCTUnwrap(UInt32(fields[3], radix: 16))
                )
            case "end":
                cases.append(try XCTUnwrap(current))
                current = nil
            default:
                XCTFail("unexpected line: \(line)")
            }
        }
        return cases
    }

    func testEveryReferenceCaseGivesTheReferenceBits() throws {
        let cases = try referenceCases()
        XCTAssertGreaterThan(cases.count, 1000)
        var networksSeen = Set<Network>()
        for reference in cases {
            networksSeen.insert(reference.network)
            let rule = ChainConfiguration(network: reference.network).difficulty
            let ancestry = SparseAncestry(reference.ancestors)
            let bits = rule.requiredBits(
                height: reference.height, time: reference.time, parent: SparseAncestry.tip, ancestry: ancestry)
            XCTAssertEqual(bits, reference.expected, "\(reference.name): got 0x\(String(bits ?? 0, radix: 16))")
            XCTAssertEqual(ancestry.missing, [], "\(reference.name) read heights the reference does not")
        }
        XCTAssertEqual(networksSeen, [.mainnet, .testnet, .dilv])
    }

    /// The cases cover every boundary the C++ parameters name, on both sides.
    func testReferenceCasesCoverEveryForkHeight() throws {
        let heights = Set(try referenceCases().filter { $0.network == .mainnet }.map(\.height))
        for boundary in [2016, 7033, 7034, 18_499, 18_500, 18_720, 20_519, 20_520, 20_521, 23_039, 23_040, 24_499, 24_500] {
            XCTAssertTrue(heights.contains(boundary), "no case at mainnet height \(boundary)")
        }
    }
}
