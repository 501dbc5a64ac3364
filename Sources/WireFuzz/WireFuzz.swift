// The codec fuzzer. Built two ways (Package.swift reads DILITHION_FUZZ):
// - DILITHION_FUZZ=1 with `--sanitize=fuzzer --sanitize=address`: a libFuzzer binary
//   (scripts/fuzz); libFuzzer supplies `main` and calls LLVMFuzzerTestOneInput.
// - otherwise: a replay tool that runs the same oracle over files (a corpus or a crash input).
import DilithionTestKit
import DilithionWire

#if DILITHION_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WireFuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct WireFuzzReplay {
    static func main() {
        FuzzCorpusReplay.main(
            tool: "WireFuzz", usage: "replays inputs through the codec oracle; scripts/fuzz builds the fuzzer",
            oracle: WireFuzzHarness.run)
    }
}
#endif
