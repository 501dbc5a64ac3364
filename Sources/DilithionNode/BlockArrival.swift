import DilithionChain
import DilithionNet
import DilithionWire

/// A received block on its way through the ``BlockDownload`` pipeline: admitted, waiting for its
/// validation (inline or on the ``BlockValidationWorker``), then staged in arrival order.
final class BlockArrival: @unchecked Sendable {
    let hash: Hash256
    let message: BlockMessage
    let peer: PeerID
    let payloadChecksum: PayloadChecksum?
    let headerKnown: Bool
    /// The body checks' result; nil while the worker has it. Guarded by ``BlockDownload/lock``
    /// (written by the worker, read by the dispatcher).
    var validation: Result<Void, ChainRejection>?

    init(hash: Hash256, message: BlockMessage, peer: PeerID, payloadChecksum: PayloadChecksum?, headerKnown: Bool) {
        self.hash = hash
        self.message = message
        self.peer = peer
        self.payloadChecksum = payloadChecksum
        self.headerKnown = headerKnown
    }

    /// Runs the context-free body checks (``BlockValidation``): the txid and merkle pass.
    func validate(legacyHasher: (any LegacyHeaderHasher)?) -> Result<Void, ChainRejection> {
        Result { () throws(ChainRejection) in try BlockValidation.check(message, legacyHasher: legacyHasher) }
    }
}
