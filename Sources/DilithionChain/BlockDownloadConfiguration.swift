/// Limits of the ``BlockDownloadScheduler``.
public struct BlockDownloadConfiguration: Sendable, Equatable {
    /// The C++ node's `MAX_BLOCKS_IN_TRANSIT_PER_PEER` (PROTOCOL.md §6): never more in flight to a
    /// peer that is not known to pipeline deeper (it stops answering beyond that).
    public static let hardMaxInFlightPerPeer = 32

    /// Only blocks at most this far above the tip are requested (bounds out-of-order storage).
    public var windowSize: Int
    /// Requests outstanding per peer when it connects; clamped to 1…``hardMaxInFlightPerPeer``.
    /// A peer registered with a higher ceiling grows from here by one per delivered block.
    public var maxInFlightPerPeer: Int {
        didSet { maxInFlightPerPeer = min(max(maxInFlightPerPeer, 1), Self.hardMaxInFlightPerPeer) }
    }
    /// The ceiling for peers known to serve deep pipelines (this implementation): enough blocks
    /// in flight to fill a long, fast link (a 230 ms round trip at loopback speed needs ~3.6 MB).
    public var pipelinedMaxInFlightPerPeer: Int
    /// Where a pipelining peer's pipeline starts (64): three round trips of growth saved on a long
    /// link, still a small share of the window when several peers serve.
    public var pipelinedInitialInFlightPerPeer: Int
    /// Estimated bytes outstanding per peer (in-flight count × the running average block size)
    /// never exceed this, so a run of large blocks is spread over peers instead of queued on one.
    public var maxBytesInFlightPerPeer: Int
    /// The stall timeout after progress (2 s); doubles per detected stall.
    public var initialStallTimeoutMilliseconds: Int64
    /// The stall timeout never exceeds this (64 s).
    public var maxStallTimeoutMilliseconds: Int64

    /// Defaults: window 1024, 16 in flight per peer at first, growing up to 32 for C++ peers; 64
    /// growing up to 512 (and 8 MiB) for pipelining peers; stall timeout 2 s doubling up to 64 s.
    public init(
        windowSize: Int = 1024, maxInFlightPerPeer: Int = 16, pipelinedMaxInFlightPerPeer: Int = 512,
        pipelinedInitialInFlightPerPeer: Int = 64,
        maxBytesInFlightPerPeer: Int = 8 << 20, initialStallTimeoutMilliseconds: Int64 = 2_000,
        maxStallTimeoutMilliseconds: Int64 = 64_000
    ) {
        self.windowSize = windowSize
        self.maxInFlightPerPeer = min(max(maxInFlightPerPeer, 1), Self.hardMaxInFlightPerPeer)
        self.pipelinedMaxInFlightPerPeer = max(pipelinedMaxInFlightPerPeer, 1)
        self.pipelinedInitialInFlightPerPeer = max(pipelinedInitialInFlightPerPeer, 1)
        self.maxBytesInFlightPerPeer = max(maxBytesInFlightPerPeer, 1)
        self.initialStallTimeoutMilliseconds = initialStallTimeoutMilliseconds
        self.maxStallTimeoutMilliseconds = maxStallTimeoutMilliseconds
    }
}
