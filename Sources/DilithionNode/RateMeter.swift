/// Blocks and bytes per second over a sliding window of recent blocks.
struct RateMeter {
    private var samples: [(nanoseconds: UInt64, bytes: Int)] = []
    private let window = 256

    mutating func record(bytes: Int, nowNanoseconds: UInt64) {
        samples.append((nowNanoseconds, bytes))
        if samples.count > window { samples.removeFirst(samples.count - window) }
    }

    func snapshot(nowNanoseconds: UInt64) -> (blocksPerSecond: Double, bytesPerSecond: Double) {
        guard let first = samples.first, samples.count >= 2 else { return (0, 0) }
        let seconds = Double(nowNanoseconds - first.nanoseconds) / 1e9
        guard seconds > 0 else { return (0, 0) }
        return (Double(samples.count) / seconds, Double(samples.reduce(0) { $0 + $1.bytes }) / seconds)
    }
}
