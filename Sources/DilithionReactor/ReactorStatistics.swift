/// A snapshot of the reactor's event counts. Tests use them to prove that an idle engine does not
/// spin and that wakeups are coalesced.
public struct ReactorStatistics: Sendable, Equatable {
    /// Every libevent callback the reactor ran (one per loop iteration with work, or more).
    public var callbacks: Int
    /// Coalesced cross-thread wakeups handled.
    public var wakeups: Int
    /// Readable callbacks on connections.
    public var readCallbacks: Int
    /// Writable callbacks on connections (only while an outbox is non-empty or a connect is pending).
    public var writeCallbacks: Int
    /// Timer callbacks (accept back-off).
    public var timerCallbacks: Int
    /// Readable callbacks on listeners.
    public var acceptCallbacks: Int
    /// Connections accepted and admitted.
    public var accepted: Int
    /// Connections accepted and refused by the delegate.
    public var refused: Int
    /// Times a listener backed off because descriptors ran out.
    public var acceptBackoffs: Int
    /// `read` calls that returned data or end-of-file.
    public var reads: Int
    /// `sendmsg` calls that wrote data.
    public var writes: Int
    /// Connections currently open (sockets owned by the reactor).
    public var openConnections: Int
}
