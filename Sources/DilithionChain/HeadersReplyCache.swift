import DilithionWire

/// Finished `headers` reply frames (header with the checksum ‖ payload, ``EncodedFrame``), so that
/// answering the same `getheaders` again (every peer syncing from genesis asks for the same runs
/// of 2,000) neither encodes nor hashes nor copies anything: the engine queues the cached array
/// itself (``Engine/send(_:to:)-(EncodedFrame,_)``), shared by every peer it is sent to.
///
/// An entry is a run of active-chain heights and the hash of the run's last block when it was
/// encoded. It is used only while the active chain still has that block at that height: a block
/// hash commits to every header below it, so the whole run is then unchanged. A reorg or any other
/// move of the active chain that replaces the run's blocks therefore invalidates it without being
/// told; a run that ended at the old tip no longer matches the longer run asked for now. Bounded by
/// ``maxBytes`` of frame bytes (oldest entries go first).
struct HeadersReplyCache {
    /// Most frame bytes kept (about 58 runs of 2,000 144-byte headers).
    static let maxBytes = 16 * 1024 * 1024

    private struct Entry {
        let heights: Range<Int>
        let lastHash: Hash256
        let frame: EncodedFrame
    }

    private var entries: [Int: Entry] = [:]  // by the run's first height
    private var order: [Int] = []  // first heights, oldest first
    private var bytes = 0
    private(set) var hits = 0
    private(set) var misses = 0

    /// The cached reply frame for `heights` when its last block is still `lastHash`.
    mutating func reply(for heights: Range<Int>, lastHash: Hash256) -> EncodedFrame? {
        if let entry = entries[heights.lowerBound], entry.heights == heights, entry.lastHash == lastHash {
            hits += 1
            return entry.frame
        }
        misses += 1
        return nil
    }

    /// Keeps `frame` for `heights` (replacing an older run that starts at the same height).
    mutating func store(_ frame: EncodedFrame, for heights: Range<Int>, lastHash: Hash256) {
        let size = frame.bytes.count
        guard size <= Self.maxBytes else { return }
        if let old = entries.removeValue(forKey: heights.lowerBound) {
            bytes -= old.frame.bytes.count
            order.removeAll { $0 == heights.lowerBound }
        }
        while bytes + size > Self.maxBytes, !order.isEmpty {
            if let evicted = entries.removeValue(forKey: order.removeFirst()) { bytes -= evicted.frame.bytes.count }
        }
        entries[heights.lowerBound] = Entry(heights: heights, lastHash: lastHash, frame: frame)
        order.append(heights.lowerBound)
        bytes += size
    }
}
