/// Appends little-endian fields to a byte array; always writes canonical CompactSize.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func writeUInt8(_ value: UInt8) { bytes.append(value) }

    public mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    public mutating func writeUInt32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    public mutating func writeUInt64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    public mutating func writeInt32(_ value: Int32) { writeUInt32(UInt32(bitPattern: value)) }
    public mutating func writeInt64(_ value: Int64) { writeUInt64(UInt64(bitPattern: value)) }

    public mutating func writeHash(_ hash: Hash256) {
        writeUInt64(hash.w0)
        writeUInt64(hash.w1)
        writeUInt64(hash.w2)
        writeUInt64(hash.w3)
    }

    public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// Writes the canonical (shortest) CompactSize.
    public mutating func writeCompactSize(_ value: UInt64) {
        switch value {
        case ..<0xFD: writeUInt8(UInt8(value))
        case ...0xFFFF:
            writeUInt8(0xFD)
            writeUInt16(UInt16(value))
        case ...0xFFFF_FFFF:
            writeUInt8(0xFE)
            writeUInt32(UInt32(value))
        default:
            writeUInt8(0xFF)
            writeUInt64(value)
        }
    }

    public mutating func writeCompactSize(_ value: Int) { writeCompactSize(UInt64(value)) }

    /// Writes a var_str: CompactSize length ‖ bytes.
    public mutating func writeVarBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeCompactSize(data.count)
        bytes.append(contentsOf: data)
    }
}
