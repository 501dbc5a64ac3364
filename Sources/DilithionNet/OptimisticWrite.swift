import DilithionReactor

/// One peer's outbox as the dispatcher took it for its optimistic write at the end of a batch
/// (``OptimisticSend/writing``), and what the socket did with it.
struct OptimisticWrite {
    let state: PeerState
    let chunks: [[UInt8]]
    let socket: SocketWriteHandle
    var outcome = SocketWriteHandle.Outcome.closed
}
