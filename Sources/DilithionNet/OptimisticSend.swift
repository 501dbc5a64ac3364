/// Where the dispatcher's optimistic send stands for one peer (`docs/architecture.md`, "Optimistic
/// send"). Guarded by the engine lock.
///
/// ```
/// idle ──(dispatcher queues a reply, nothing pending)──► pending ──(end of batch)──► writing ──► idle
///                                                            └──(disconnect: flush, then close)──► idle
/// ```
enum OptimisticSend {
    /// Sends go the usual way: the reactor writes the outbox after a `flush` command.
    case idle
    /// A handler queued a reply while nothing was queued or unwritten for the peer: the dispatcher
    /// writes the outbox itself at the end of its batch. Meanwhile sends from any thread only
    /// append to the outbox (no `flush` is queued).
    case pending
    /// The dispatcher took the outbox and is writing it outside the lock. Sends only append, and a
    /// `flush` that was already queued does nothing; afterwards the dispatcher hands what is left
    /// (unwritten bytes, later sends) to the reactor with one `flush`.
    case writing
}
