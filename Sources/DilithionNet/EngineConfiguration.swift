import DilithionReactor
import DilithionSystem
import DilithionWire

/// Settings of the engine and dispatcher. Defaults follow `DESIGN.md`.
public struct EngineConfiguration: Sendable {
    /// The network every frame belongs to.
    public var network: Network
    /// Addresses to listen on; port 0 lets the kernel choose (tests).
    public var listenAddresses: [SocketAddress]
    /// Stop reading a peer while its inbox holds more than this many bytes (default 5 MB, like
    /// Bitcoin Core's `-maxreceivebuffer`).
    public var receiveCapBytes: Int
    /// Stop serving a peer's requests while its outbox holds more than this (default 1 MB, like
    /// `-maxsendbuffer`).
    public var sendCapBytes: Int
    /// Disconnect a peer (`send-buffer-full`) whose outbox stays over the send cap this long.
    public var sendCapTimeout: Duration
    /// Disconnect a peer (`partial-frame-timeout`) that keeps part of a frame in the decoder this long
    /// without completing a frame.
    public var partialFrameTimeout: Duration
    /// Give up on an outbound connect (`connect-timeout`) after this long.
    public var connectTimeout: Duration
    /// Largest payload a frame may claim.
    public var maxPayload: Int
    /// Small frames queued for one peer are copied into one chunk up to this size, so a burst of
    /// small replies becomes one buffer and few iovecs.
    public var outboxCoalesceBytes: Int
    /// Listener pause after `EMFILE`/`ENFILE`.
    public var acceptBackoff: Duration
    /// At most one log line per this interval about failing `accept`s (each line counts the
    /// failures it stands for; the `/metrics` counter counts every one).
    public var acceptFailureLogInterval: Duration
    /// Most messages the dispatcher takes under one hold of the engine lock: round-robin passes
    /// (one message per ready peer each) until this many are taken. Messages of a peer that is
    /// disconnected or goes over the send cap while the batch runs are withdrawn, not delivered.
    /// Larger batches mean fewer lock holds and fewer, larger writes (a flood of pings from eight
    /// peers cost 2.5 µs of CPU per pong with 64, 1.8 µs with 1,024).
    public var dispatchBatchLimit: Int
    /// How long a batch may run: checked every 16 messages, after which the rest goes back to the
    /// inboxes untouched (``EngineStatistics/messagesDeferred``). It bounds how long events,
    /// deadlines, the batch's replies and newly ready peers wait behind expensive handlers.
    public var dispatchBatchBudget: Duration
    /// Lets the dispatcher write a peer's replies to its socket itself at the end of a batch when
    /// nothing else is queued for that peer (optimistic send); false leaves every write to the
    /// reactor (one wakeup per batch of replies).
    public var dispatcherWritesDirectly: Bool
    /// How long the dispatcher keeps polling for new work after a batch before it sleeps on its
    /// condition variable (zero: it sleeps at once). Work queued while it polls reaches it
    /// without a futex wake of a sleeping thread, which on a virtual machine means an
    /// inter-processor interrupt and a halted CPU waking up: most of a one-at-a-time round trip
    /// (docs/benchmarks.md, "Issue 16: latency"). It polls only after a conversation-sized batch (a
    /// connection event or at most 4 messages) and at most once per batch, so neither an idle node
    /// nor a stream polls, and it yields its CPU between looks, so a reactor or client thread on
    /// the same CPU is not held up.
    public var dispatcherPoll: Duration

    /// A configuration with the defaults.
    public init(
        network: Network,
        listenAddresses: [SocketAddress] = [],
        receiveCapBytes: Int = 5_000_000,
        sendCapBytes: Int = 1_000_000,
        sendCapTimeout: Duration = .seconds(60),
        partialFrameTimeout: Duration = .seconds(120),
        connectTimeout: Duration = .seconds(5),
        maxPayload: Int = Limits.maxMessagePayload,
        outboxCoalesceBytes: Int = 16 * 1024,
        acceptBackoff: Duration = .milliseconds(100),
        acceptFailureLogInterval: Duration = .seconds(10),
        dispatchBatchLimit: Int = 1_024,
        dispatchBatchBudget: Duration = .milliseconds(2),
        dispatcherWritesDirectly: Bool = true,
        dispatcherPoll: Duration = .microseconds(50)
    ) {
        precondition(dispatchBatchLimit >= 1, "dispatchBatchLimit must be at least 1")
        self.network = network
        self.listenAddresses = listenAddresses
        self.receiveCapBytes = receiveCapBytes
        self.sendCapBytes = sendCapBytes
        self.sendCapTimeout = sendCapTimeout
        self.partialFrameTimeout = partialFrameTimeout
        self.connectTimeout = connectTimeout
        self.maxPayload = maxPayload
        self.outboxCoalesceBytes = outboxCoalesceBytes
        self.acceptBackoff = acceptBackoff
        self.acceptFailureLogInterval = acceptFailureLogInterval
        self.dispatchBatchLimit = dispatchBatchLimit
        self.dispatchBatchBudget = dispatchBatchBudget
        self.dispatcherWritesDirectly = dispatcherWritesDirectly
        self.dispatcherPoll = dispatcherPoll
    }

    var reactorConfiguration: ReactorConfiguration {
        ReactorConfiguration(
            magic: network.magic, maxPayload: maxPayload, listenAddresses: listenAddresses,
            acceptBackoffMicroseconds: Int(acceptBackoff.engineNanoseconds / 1000))
    }
}
