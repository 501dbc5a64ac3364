import DilithionSystem
import DilithionWire

/// Settings of the reactor: where it listens and how it frames bytes.
public struct ReactorConfiguration: Sendable {
    /// The network whose magic every frame must carry.
    public var magic: NetworkMagic
    /// Largest payload a frame may claim.
    public var maxPayload: Int
    /// Addresses to listen on (IPv4 and/or IPv6); port 0 lets the kernel choose (tests).
    public var listenAddresses: [SocketAddress]
    /// `listen()` backlog.
    public var listenBacklog: Int32
    /// How long the listener pauses after `EMFILE`/`ENFILE` before it tries `accept` again; without a
    /// pause a level-triggered listener would spin on the pending connection.
    public var acceptBackoffMicroseconds: Int
    /// Size of the one read buffer all connections share (reads are processed synchronously).
    public var readBufferSize: Int
    /// Reads per readable callback while each read fills the buffer; bounds one peer's turn.
    public var maxReadsPerCallback: Int

    /// A configuration with the engine defaults.
    public init(
        magic: NetworkMagic,
        maxPayload: Int = Limits.maxMessagePayload,
        listenAddresses: [SocketAddress] = [],
        listenBacklog: Int32 = 4096,
        acceptBackoffMicroseconds: Int = 100_000,
        readBufferSize: Int = 64 * 1024,
        maxReadsPerCallback: Int = 4
    ) {
        self.magic = magic
        self.maxPayload = maxPayload
        self.listenAddresses = listenAddresses
        self.listenBacklog = listenBacklog
        self.acceptBackoffMicroseconds = acceptBackoffMicroseconds
        self.readBufferSize = readBufferSize
        self.maxReadsPerCallback = maxReadsPerCallback
    }
}
