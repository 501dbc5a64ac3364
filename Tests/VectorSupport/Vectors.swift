import DilithionWire
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Loads the golden frames captured from the C++ node, kept in the repository at
/// `Tests/Fixtures/vectors/` (its README says what each file is and where it came from). Shared by
/// the test targets that read the vectors (Wire, Chain).
///
/// A missing file or folder is an error, so the test that needs it fails: a clone that lost its
/// fixtures must not pass by skipping its golden checks.
public enum Vectors {
    /// The vectors folder: `Tests/Fixtures/vectors` found from this source file's own path, or
    /// `DILITHION_VECTORS` when set (to run the same checks over another captured set).
    public static let directory: String = {
        if let custom = getenv("DILITHION_VECTORS") { return String(cString: custom) }
        // #filePath = <root>/Tests/VectorSupport/Vectors.swift
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Fixtures/vectors"
    }()

    /// A fixture that is not where it should be.
    public struct MissingFixture: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "golden vector fixture missing: \(path) (see Tests/Fixtures/vectors/README.md)" }
    }

    public static func hex(_ name: String) throws -> [UInt8] {
        let path = directory + "/" + name
        guard let file = fopen(path, "r") else {
            throw MissingFixture(path: path)
        }
        defer { fclose(file) }
        var text = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            text += chunk[0..<count]
        }
        let trimmed = String(decoding: text, as: UTF8.self).filter { !$0.isWhitespace }
        guard let bytes = HexCoding.decode(trimmed) else {
            XCTFail("\(name) is not hex")
            return []
        }
        return bytes
    }

    /// Every `*.frame.hex` file name in the folder.
    public static func frameFiles() throws -> [String] {
        guard let dir = opendir(directory) else { throw MissingFixture(path: directory) }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasSuffix(".frame.hex") { names.append(name) }
        }
        return names.sorted()
    }

    /// The network a vector file belongs to, from its name.
    public static func network(of name: String) -> Network {
        if name.hasPrefix("mainnet") { return .mainnet }
        if name.hasPrefix("testnet") { return .testnet }
        if name.hasPrefix("dilv") { return .dilv }
        return .regtest
    }

    /// Decodes exactly one frame from bytes, failing the test otherwise.
    public static func singleFrame(_ bytes: [UInt8], network: Network) throws -> Frame {
        var decoder = FrameDecoder(magic: network.magic)
        decoder.append(bytes)
        let frame = try XCTUnwrap(try decoder.nextFrame())
        XCTAssertNil(try decoder.nextFrame())
        XCTAssertEqual(decoder.bufferedByteCount, 0)
        return frame
    }
}
