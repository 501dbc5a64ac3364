/// The 4 bytes that open every frame, identifying the network.
///
/// `value` is the little-endian u32 of the wire bytes: mainnet's wire bytes `02 41 71 D1` are the
/// value `0xD1714102`.
public struct NetworkMagic: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// The bytes in wire order.
    public var wireBytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }

    public var description: String { HexCoding.encode(wireBytes) }
}
