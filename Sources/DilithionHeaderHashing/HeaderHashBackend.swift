import DilithionWire

/// What computes header hashes for a ``HeaderHashingService``: shared state prepared once by all
/// workers together, then one hasher per worker thread.
///
/// The service calls, in this order: ``prepareShared()`` on one worker; ``prepare(share:of:)`` on
/// every worker at once; ``finishPreparation()`` on one worker; ``makeWorkerHasher()`` on every
/// worker. A barrier separates the steps.
public protocol HeaderHashBackend: Sendable {
    /// State every worker reads (RandomX: the cache from the key).
    func prepareShared()
    /// This worker's part of the shared state (RandomX full mode: a slice of the dataset).
    func prepare(share: Int, of shares: Int)
    /// After every share (RandomX full mode: releases the cache).
    func finishPreparation()
    /// A hasher used by one worker thread only.
    func makeWorkerHasher() -> any WorkerHeaderHasher
}

/// One worker's hasher (RandomX: one VM). Used from a single thread.
public protocol WorkerHeaderHasher: AnyObject {
    /// The hash of 80 header bytes.
    func hash(_ bytes: [UInt8]) -> Hash256
}
