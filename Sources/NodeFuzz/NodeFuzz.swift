// The dispatcher-level fuzzer (NodeFuzzHarness). Built two ways (Package.swift reads DILITHION_FUZZ):
// - DILITHION_FUZZ=1 with `--sanitize=fuzzer --sanitize=address`: a libFuzzer binary
//   (`scripts/fuzz --target NodeFuzz`); libFuzzer supplies `main` and calls LLVMFuzzerTestOneInput.
// - otherwise: a replay tool that runs the same oracle over files (a corpus or a crash input).
#if DILITHION_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    NodeFuzzHarness.shared.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
import DilithionTestKit
import DilithionWire

@main
struct NodeFuzzReplay {
    static func main() {
        FuzzCorpusReplay.main(
            tool: "NodeFuzz", usage: "replays inputs against an in-process node; scripts/fuzz --target NodeFuzz fuzzes",
            oracle: { NodeFuzzHarness.shared.run($0) })
    }
}
#endif
