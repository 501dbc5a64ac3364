// The codec fuzzer. Built two ways (Package.swift reads DILITHION_FUZZ):
// - DILITHION_FUZZ=1 with `--sanitize=fuzzer --sanitize=address`: a libFuzzer binary
//   (scripts/fuzz); libFuzzer supplies `main` and calls LLVMFuzzerTestOneInput.
// - otherwise: a replay tool that runs the same oracle over files (a corpus or a crash input).
import DilithionWire

#if DILITHION_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WireFuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
#if canImport(Glibc)
import Glibc
#endif

@main
struct WireFuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: WireFuzz FILE... (replays inputs through the codec oracle; scripts/fuzz builds the fuzzer)")
            exit(2)
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("WireFuzz: cannot read \(path)")
                exit(1)
            }
            bytes.withUnsafeBytes { WireFuzzHarness.run($0) }
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
