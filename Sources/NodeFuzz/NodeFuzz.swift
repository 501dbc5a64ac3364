// The dispatcher-level fuzzer (NodeFuzzHarness). Built two ways (Package.swift reads DILITHION_FUZZ):
// - DILITHION_FUZZ=1 with `--sanitize=fuzzer --sanitize=address`: a libFuzzer binary
//   (`scripts/fuzz --target NodeFuzz`); libFuzzer supplies `main` and calls LLVMFuzzerTestOneInput.
// - otherwise: a replay tool that runs the same oracle over files (a corpus or a crash input).
#if canImport(Glibc)
import Glibc
#endif

#if DILITHION_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    NodeFuzzHarness.shared.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct NodeFuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: NodeFuzz FILE... (replays inputs against an in-process node; scripts/fuzz --target NodeFuzz fuzzes)")
            exit(2)
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("NodeFuzz: cannot read \(path)")
                exit(1)
            }
            bytes.withUnsafeBytes { NodeFuzzHarness.shared.run($0) }
        }
        print("replayed \(paths.count) inputs, 0 failures")
    }

    static func readFile(_ path: String) -> [UInt8]? {
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
#endif
