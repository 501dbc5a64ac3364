import DilithionWire

/// What the graph's shape answers for peers: block locators and the active-chain run a
/// `getheaders` is answered with (PROTOCOL.md §3.6). The tree serves them (HeaderTree+Serving.swift).
extension HeaderGraph {
    /// Most locator entries we build or accept (PROTOCOL.md §3.6).
    static let maxLocatorEntries = 32

    /// A block locator from the record at `index` on its own branch: step 1 between the first 11
    /// entries (the C++ loop doubles the step once 10 steps were taken) then doubling, at most 32
    /// entries, always ending with genesis. Asking for more headers after a full batch uses the
    /// batch's last header, so a long side branch is followed instead of being asked for again.
    func locator(from index: Int) -> [Hash256] {
        var result = [Hash256]()
        var cursor = index
        for height in Self.locatorHeights(from: records[index].height) {
            cursor = branchAncestor(of: cursor, atHeight: height) ?? 0
            result.append(records[cursor].hash)
        }
        return result
    }

    /// The heights a locator from `startHeight` names: `startHeight` down by 1 for 11 entries, then
    /// by doubling steps, at most 32 entries, the last always 0 (genesis).
    static func locatorHeights(from startHeight: Int) -> [Int] {
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

    /// The active-chain heights a `getheaders` is answered with, by the C++ serving rules applied
    /// to the **active chain**, so that a peer only ever receives headers whose blocks we hold: the
    /// first locator hash known on any branch is the start; on the active chain, headers follow it;
    /// on any other branch (including header-only ones), the active chain's headers after the point
    /// where that branch leaves it follow (and `stop` is ignored); with no known hash, headers start
    /// at height 1. At most `max` heights, ending early with `stop` (included) on the active path;
    /// empty when there are none.
    func servingHeights(after locator: [Hash256], stop: Hash256, max: Int) -> Range<Int> {
        var startHeight = 0
        var honorsStop = true
        if let index = locator.lazy.compactMap({ indexByHash[$0] }).first {
            if isActive(index) {
                startHeight = records[index].height
            } else {
                startHeight = records[activeForkPoint(of: index)].height
                honorsStop = false
            }
        }
        let first = startHeight + 1
        var end = Swift.max(first, Swift.min(activeChain.count, first + max))
        // `stop` ends the run early (included) when it lies on the active chain inside it.
        if honorsStop, !stop.isZero, let stopIndex = indexByHash[stop], isActive(stopIndex) {
            let stopHeight = records[stopIndex].height
            if stopHeight >= first, stopHeight < end { end = stopHeight + 1 }
        }
        return first..<end
    }
}
