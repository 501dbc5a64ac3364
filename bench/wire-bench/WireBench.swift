// Codec micro-benchmarks (not tests): frames decoded per second for 32-byte ping frames and MB/s
// for 1 MiB block frames fed in 64 KiB chunks, beside the raw single-core SHA3-256 speed measured
// in the same run. `scripts/bench-wire` builds it in release and runs it.
import DilithionSystem
import DilithionWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@main
struct WireBench {
    /// Runs `body` repeatedly for at least `seconds`; returns units per second (body returns units done).
    static func rate(seconds: Double, _ body: () -> Int) -> Double {
        var units = 0
        let start = MonotonicClock.now()
        var elapsed = 0.0
        repeat {
            units += body()
            elapsed = MonotonicClock.now() - start
        } while elapsed < seconds
        return Double(units) / elapsed
    }

    static func median(_ values: [Double]) -> (median: Double, low: Double, high: Double) {
        let sorted = values.sorted()
        return (sorted[sorted.count / 2], sorted.first!, sorted.last!)
    }

    static func main() {
        let arguments = CommandLine.arguments
        let quick = arguments.contains("--quick")
        let repetitions = quick ? 3 : 5
        let seconds = quick ? 0.5 : 1.5
        let megabyte = 1 << 20
        let chunkSize = 64 * 1024
        let magic = Network.regtest.magic

        // Each repetition measures all three figures back to back, so the ratios compare runs that
        // saw the same machine load.
        let block = (0..<megabyte).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        var sink: UInt64 = 0
        var pingStream = [UInt8]()
        var nonce: UInt64 = 0
        while pingStream.count + 32 <= chunkSize {
            pingStream += FrameEncoder.encode(Message.ping(nonce: nonce), magic: magic)
            nonce += 1
        }
        let pingsPerChunk = pingStream.count / 32
        let blockFrame = FrameEncoder.encode(magic: magic, command: "block", payload: block)
        var sha3 = [Double](), pings = [Double](), blocks = [Double]()
        let rawHasher = FrameHasher()
        var pingDecoder = FrameDecoder(magic: magic)
        var blockDecoder = FrameDecoder(magic: magic)
        for _ in 0..<repetitions {
            // Raw single-core SHA3-256 over 1 MiB buffers, with the implementation the checksum uses.
            sha3.append(rate(seconds: seconds) {
                sink &+= block.withUnsafeBytes { rawHasher.hash($0).w0 }
                return megabyte
            } / 1e6)
            // 32-byte ping frames, delivered in 64 KiB chunks.
            pings.append(rate(seconds: seconds) {
                var frames = 0
                for _ in 0..<64 {
                    pingStream.withUnsafeBytes { pingDecoder.append($0) }
                    while let frame = try? pingDecoder.nextFrame() {
                        frames += 1
                        sink &+= UInt64(frame.payload[0])
                    }
                }
                precondition(frames == 64 * pingsPerChunk)
                return frames
            })
            // 1 MiB block frames in 64 KiB chunks.
            blocks.append(rate(seconds: seconds) {
                var offset = 0
                var bytes = 0
                blockFrame.withUnsafeBytes { raw in
                    while offset < raw.count {
                        let end = min(offset + chunkSize, raw.count)
                        blockDecoder.append(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                        offset = end
                        while let frame = try? blockDecoder.nextFrame() { bytes += frame.payload.count }
                    }
                }
                precondition(bytes == megabyte)
                return bytes
            } / 1e6)
        }

        let s = median(sha3), p = median(pings), b = median(blocks)
        func row(_ name: String, _ m: (median: Double, low: Double, high: Double), _ unit: String, _ ratio: String) {
            let cells = [name, String(format: "%.1f", m.median), String(format: "%.1f–%.1f", m.low, m.high), unit, ratio]
            print("| " + cells.joined(separator: " | ") + " |")
        }
        print("| figure | median | spread (min–max of \(repetitions)) | unit | ratio |")
        print("|---|---|---|---|---|")
        row("raw SHA3-256 (OpenSSL EVP), single core, 1 MiB buffers", s, "MB/s", "1.00 (the limit)")
        // A ping's checksum runs two Keccak permutations (8-byte payload, then the 32-byte digest):
        // the bound below is the single-core SHA3 rate in 136-byte blocks, halved.
        let permutationsPerSecond: Double = s.median * 1e6 / 136
        let pingLimit: Double = permutationsPerSecond / 2
        let pingMillions = (p.median / 1e6, p.low / 1e6, p.high / 1e6)
        let pingRatio = String(format: "%.2f × the SHA3d bound of %.2f M/s", p.median / pingLimit, pingLimit / 1e6)
        row("FrameDecoder: 32-byte ping frames in 64 KiB chunks", pingMillions, "M frames/s", pingRatio)
        row("FrameDecoder: 1 MiB block frames in 64 KiB chunks", b, "MB/s", String(format: "%.2f × raw SHA3", b.median / s.median))
        if sink == 42 { print("") }  // keeps the optimiser from discarding the work
    }
}
