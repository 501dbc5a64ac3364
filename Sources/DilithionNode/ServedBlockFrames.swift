import DilithionChain
import DilithionWire

/// The block frames served most recently, by block hash, so that peers syncing the same stretch of
/// the chain at about the same time (every new node starts from genesis) share one read of each
/// block: the frame's array goes into every requester's outbox as it is, with no store read, no
/// copy and no allocation. Safe to share because a block's hash commits to its bytes and the
/// checksum stored with them never changes. Bounded by ``maxBytes``, oldest entries first out.
///
/// Not thread-safe: the block server's thread only.
struct ServedBlockFrames {
    /// Most frame bytes kept: 32 blocks of 1 MiB. They are often still referenced by outboxes
    /// anyway while peers download them.
    static let maxBytes = 32 * 1024 * 1024

    private var frames: [Hash256: EncodedFrame] = [:]
    private var order: [Hash256] = []  // oldest first
    private var bytes = 0
    /// Requests answered from here, and from the store.
    private(set) var hits = 0
    private(set) var misses = 0

    /// The kept frame of block `hash`, if any.
    mutating func frame(for hash: Hash256) -> EncodedFrame? {
        if let frame = frames[hash] {
            hits += 1
            return frame
        }
        misses += 1
        return nil
    }

    /// Keeps `frame` as block `hash`'s (a frame larger than the whole bound is not kept).
    mutating func keep(_ frame: EncodedFrame, for hash: Hash256) {
        let size = frame.bytes.count
        guard size <= Self.maxBytes, frames[hash] == nil else { return }
        while bytes + size > Self.maxBytes, !order.isEmpty {
            if let evicted = frames.removeValue(forKey: order.removeFirst()) { bytes -= evicted.bytes.count }
        }
        frames[hash] = frame
        order.append(hash)
        bytes += size
    }
}
