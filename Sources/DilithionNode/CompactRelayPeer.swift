import DilithionNet
import DilithionWire

/// What the ``CompactRelay`` knows about one established peer. Guarded by the relay's lock.
struct CompactRelayPeer: Sendable {
    /// Whether it runs this implementation, which keeps no mempool: it gets every transaction
    /// prefilled, so it never needs a `getblocktxn` round trip.
    let prefillsEverything: Bool
    /// It sent `sendcmpct(1, 1)`: we push new blocks to it as `cmpctblock` unasked.
    var wantsPush = false
    /// A compact block of this peer's waiting for our `getblocktxn` to be answered (one at a time,
    /// as Bitcoin Core keeps; a new one replaces it).
    var pending: CompactBlockReconstruction?
}
