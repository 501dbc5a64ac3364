import DilithionWire

/// Locators and `getheaders` answers, computed by the graph (HeaderGraph+Serving.swift).
extension HeaderTree {
    /// Most locator entries we build or accept (PROTOCOL.md §3.6).
    public static let maxLocatorEntries = HeaderGraph.maxLocatorEntries

    /// The heights a locator from `startHeight` names (``HeaderGraph/locatorHeights(from:)``).
    public static func locatorHeights(from startHeight: Int) -> [Int] { HeaderGraph.locatorHeights(from: startHeight) }

    /// A block locator for `getheaders` from the best header (C++ `GetLocatorImpl`).
    public func locator() -> [Hash256] { graph.locator(from: graph.bestTipIndex) }

    /// A block locator from the record at `index` on its own branch (``HeaderGraph/locator(from:)``).
    func locator(from index: Int) -> [Hash256] { graph.locator(from: index) }

    /// Headers to answer a `getheaders` with (PROTOCOL.md §3.6), from the **active chain** only
    /// (``HeaderGraph/servingHeights(after:stop:max:)``): at most `max`, ending early with `stop`.
    public func headers(after locator: [Hash256], stop: Hash256, max: Int = Limits.maxHeaders) -> [BlockHeader] {
        servingHeights(after: locator, stop: stop, max: max).map { records[activeChain[$0]].header }
    }

    /// The active-chain heights ``headers(after:stop:max:)`` answers with (empty when there are none).
    func servingHeights(after locator: [Hash256], stop: Hash256, max: Int = Limits.maxHeaders) -> Range<Int> {
        graph.servingHeights(after: locator, stop: stop, max: max)
    }

    /// The hash of the active-chain block at `height` (which must be on the active chain).
    func activeHash(atHeight height: Int) -> Hash256 { records[activeChain[height]].hash }
}
