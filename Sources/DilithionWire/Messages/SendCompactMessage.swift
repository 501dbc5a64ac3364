/// `sendcmpct`: u8 high_bandwidth ‖ u64 version (only version 1 is honoured by the C++ node).
public struct SendCompactMessage: Hashable, Sendable {
    /// The raw byte (1 = high-bandwidth: push `cmpctblock`; 0 = announce with `headers`).
    public var highBandwidth: UInt8
    public var version: UInt64

    public init(highBandwidth: Bool, version: UInt64) {
        self.highBandwidth = highBandwidth ? 1 : 0
        self.version = version
    }
}
