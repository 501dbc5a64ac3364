import DilithionWire

/// The work of a block by its `nBits`, remembered: `CompactTarget.blockWork` is a 256-bit
/// computation, and a chain reuses a handful of `nBits` values. At most 64 are kept, so a peer
/// sending headers with ever new `nBits` cannot grow it.
///
/// A value type owned by the ``HeaderTree``.
struct BlockWorkCache: Sendable {
    private var workByBits: [UInt32: ChainWork] = [:]

    /// The work of a block with `bits` (computed, and kept while there is room).
    mutating func work(bits: UInt32) -> ChainWork {
        if let cached = workByBits[bits] { return cached }
        let work = CompactTarget(bits: bits).blockWork
        if workByBits.count < 64 { workByBits[bits] = work }
        return work
    }
}
