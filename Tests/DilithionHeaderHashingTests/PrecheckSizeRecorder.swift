import DilithionChain
import DilithionHeaderHashing
import DilithionSystem
import DilithionWire

/// A ``HeaderBatchSink`` in front of another that records how many headers each pre-check was given.
final class PrecheckSizeRecorder: HeaderBatchSink, @unchecked Sendable {
    private let inner: any HeaderBatchSink
    private let lock = PThreadMutex()
    private var recorded: [Int] = []  // guarded by lock

    init(_ inner: any HeaderBatchSink) { self.inner = inner }

    /// The sizes of the pre-checks so far, in order.
    var sizes: [Int] { lock.withLock { recorded } }

    func precheck(_ headers: [BlockHeader], cachedHash: (Hash256) -> Hash256?) -> HeaderBatchPlan {
        lock.withLock { recorded.append(headers.count) }
        return inner.precheck(headers, cachedHash: cachedHash)
    }

    func insert(_ headers: [BlockHeader], hashes: [Hash256]) -> (accepted: Int, rejection: ChainRejection?) {
        inner.insert(headers, hashes: hashes)
    }
}
