/// Limits of the ``BlockDownloadScheduler``.
public struct BlockDownloadConfiguration: Sendable, Equatable {
    /// The C++ node's `MAX_BLOCKS_IN_TRANSIT_PER_PEER` (PROTOCOL.md §6); never more per peer.
    public static let hardMaxInFlightPerPeer = 32

    /// Only blocks at most this far above the tip are requested (bounds out-of-order storage).
    public var windowSize: Int
    /// Requests outstanding per peer; clamped to 1…``hardMaxInFlightPerPeer``.
    public var maxInFlightPerPeer: Int {
        didSet { maxInFlightPerPeer = min(max(maxInFlightPerPeer, 1), Self.hardMaxInFlightPerPeer) }
    }
    /// The stall timeout after progress (2 s); doubles per detected stall.
    public var initialStallTimeoutMilliseconds: Int64
    /// The stall timeout never exceeds this (64 s).
    public var maxStallTimeoutMilliseconds: Int64

    /// Defaults: window 1024, 16 in flight per peer, stall timeout 2 s doubling up to 64 s.
    public init(
        windowSize: Int = 1024, maxInFlightPerPeer: Int = 16, initialStallTimeoutMilliseconds: Int64 = 2_000,
        maxStallTimeoutMilliseconds: Int64 = 64_000
    ) {
        self.windowSize = windowSize
        self.maxInFlightPerPeer = min(max(maxInFlightPerPeer, 1), Self.hardMaxInFlightPerPeer)
        self.initialStallTimeoutMilliseconds = initialStallTimeoutMilliseconds
        self.maxStallTimeoutMilliseconds = maxStallTimeoutMilliseconds
    }
}
