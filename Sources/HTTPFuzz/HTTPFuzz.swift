// The public HTTP surface's fuzzer (request parser → attestation endpoint). Built two ways
// (Package.swift reads DILITHION_FUZZ):
// - DILITHION_FUZZ=1 with `--sanitize=fuzzer --sanitize=address`: a libFuzzer binary
//   (`scripts/fuzz --target HTTPFuzz`); libFuzzer supplies `main` and calls LLVMFuzzerTestOneInput.
// - otherwise: a replay tool that runs the same oracle over files (a corpus or a crash input).
import DilithionTestKit
import DilithionWire

#if DILITHION_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    HTTPFuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct HTTPFuzzReplay {
    static func main() {
        FuzzCorpusReplay.main(
            tool: "HTTPFuzz", usage: "replays inputs through the HTTP parser and attestation endpoint oracle; scripts/fuzz builds the fuzzer",
            oracle: HTTPFuzzHarness.run)
    }
}
#endif
