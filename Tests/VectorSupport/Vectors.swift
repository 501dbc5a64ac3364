import DilithionWire
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Loads the golden frames captured from the C++ node (`../shared/vectors/` beside the project).
/// Shared by the test targets that read the vectors (Wire, Chain).
public enum Vectors {
    /// The vectors folder: `DILITHION_VECTORS` if set, else `../shared/vectors` from the package root.
    public static let directory: String = {
        if let custom = getenv("DILITHION_VECTORS") { return String(cString: custom) }
        // #filePath = <root>/Tests/VectorSupport/Vectors.swift
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let root = parts.joined(separator: "/")
        return root + "/../shared/vectors"
    }()

    public static func hex(_ name: String) throws -> [UInt8] {
        let path = directory + "/" + name
        guard let file = fopen(path, "r") else {
            throw XCTSkip("vector \(path) is missing (set DILITHION_VECTORS)")
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
        guard let dir = opendir(directory) else { throw XCTSkip("no vectors folder at \(directory)") }
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
