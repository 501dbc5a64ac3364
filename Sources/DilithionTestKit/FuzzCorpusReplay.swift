#if canImport(Glibc)
import Glibc
#endif

/// The non-libFuzzer `main` of the fuzz targets (`WireFuzz`, `NodeFuzz`): runs an oracle over each
/// file named on the command line (a corpus, or a crash input) and reports how many it replayed.
/// Exit status 2 without arguments, 1 for an unreadable file; a failing input traps in the oracle.
public enum FuzzCorpusReplay {
    public static func main(tool: String, usage: String, oracle: (UnsafeRawBufferPointer) -> Void) -> Never {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: \(tool) FILE... (\(usage))")
            exit(2)
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("\(tool): cannot read \(path)")
                exit(1)
            }
            bytes.withUnsafeBytes { oracle($0) }
        }
        print("replayed \(paths.count) inputs, 0 failures")
        exit(0)
    }

    /// The whole file, or nil when it cannot be opened.
    public static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            out += chunk[0..<count]
        }
        return out
    }
}
