import DilithionWire

extension HeaderTree {
    /// Most locator entries we build or accept (PROTOCOL.md §3.6).
    public static let maxLocatorEntries = 32

    /// A block locator for `getheaders` (C++ `GetLocatorImpl`): from `startHeight` (default: the
    /// best header height) on the best chain, step 1 between the first 11 entries (the C++ loop
    /// doubles the step once 10 steps were taken) then doubling, at most 32 entries, always ending
    /// with genesis (where the C++ loop can step past it).
    public func locator(startHeight: Int? = nil) -> [Hash256] {
        let start = min(max(startHeight ?? bestHeight, 0), bestHeight)
        return Self.locatorHeights(from: start).map { records[activeChain[$0]].hash }
    }

    /// The heights a locator from `startHeight` names: `startHeight` down by 1 for 11 entries, then
    /// by doubling steps, at most 32 entries, the last always 0 (genesis).
    public static func locatorHeights(from startHeight: Int) -> [Int] {
        var heights = [Int]()
        var height = startHeight
        var step = 1
        while height > 0, heights.count < maxLocatorEntries - 1 {
            heights.append(height)
            if heights.count > 10 { step *= 2 }
            height -= step
        }
        heights.append(0)
        return heights
    }

    /// Headers to answer a `getheaders` with, by the C++ serving rules (PROTOCOL.md §3.6):
    /// the first locator hash known on any branch is the start; on the best chain, headers follow
    /// it; on a side branch, the best chain's headers after the fork point follow (and `stop` is
    /// ignored); with no known hash, headers start at height 1. At most `max` headers, ending
    /// early with `stop` (included) on the best-chain path.
    public func headers(after locator: [Hash256], stop: Hash256, max: Int = Limits.maxHeaders) -> [BlockHeader] {
        var startHeight = 0
        var honorsStop = true
        if let index = locator.lazy.compactMap({ indexByHash[$0] }).first {
            if isActive(index) {
                startHeight = records[index].height
            } else {
                startHeight = records[forkPoint(of: index)].height
                honorsStop = false
            }
        }
        var result = [BlockHeader]()
        var height = startHeight + 1
        while height < activeChain.count, result.count < max {
            let record = records[activeChain[height]]
            result.append(record.header)
            if honorsStop, !stop.isZero, record.hash == stop { break }
            height += 1
        }
        return result
    }
}
