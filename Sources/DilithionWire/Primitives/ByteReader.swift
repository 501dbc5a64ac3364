/// Reads little-endian fields off the front of a byte array, bounds-checked, with typed errors.
///
/// Every variable-length read checks the remaining bytes first, so no allocation is ever sized
/// from a count the peer claimed before those bytes are present.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    /// Offset of the next unread byte.
    public private(set) var offset: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    /// Reads `bytes[range]` only.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    /// Bytes not yet read.
    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset == end }

    private mutating func require(_ count: Int, _ field: String) throws(MessageDecodeError) {
        if count > remaining { throw .truncated(field: field) }
    }

    public mutating func readUInt8(_ field: String) throws(MessageDecodeError) -> UInt8 {
        try require(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16(_ field: String) throws(MessageDecodeError) -> UInt16 {
        try require(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    public mutating func readUInt32(_ field: String) throws(MessageDecodeError) -> UInt32 {
        try require(4, field)
        defer { offset += 4 }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
        return value
    }

    public mutating func readUInt64(_ field: String) throws(MessageDecodeError) -> UInt64 {
        try require(8, field)
        defer { offset += 8 }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }

    public mutating func readInt32(_ field: String) throws(MessageDecodeError) -> Int32 {
        Int32(bitPattern: try readUInt32(field))
    }

    public mutating func readInt64(_ field: String) throws(MessageDecodeError) -> Int64 {
        Int64(bitPattern: try readUInt64(field))
    }

    public mutating func readHash(_ field: String) throws(MessageDecodeError) -> Hash256 {
        try require(32, field)
        defer { offset += 32 }
        return bytes.withUnsafeBytes { raw in
            Hash256(unsafeDigest: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + 32]))
        }
    }

    public mutating func readBytes(_ count: Int, _ field: String) throws(MessageDecodeError) -> [UInt8] {
        try require(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Skips `count` bytes, returning the range they occupied.
    public mutating func skip(_ count: Int, _ field: String) throws(MessageDecodeError) -> Range<Int> {
        try require(count, field)
        defer { offset += count }
        return offset..<offset + count
    }

    /// Reads a CompactSize. Non-canonical encodings are accepted, as the C++ reader accepts them.
    public mutating func readCompactSize(_ field: String) throws(MessageDecodeError) -> UInt64 {
        let first = try readUInt8(field)
        switch first {
        case 0xFD: return UInt64(try readUInt16(field))
        case 0xFE: return UInt64(try readUInt32(field))
        case 0xFF: return try readUInt64(field)
        default: return UInt64(first)
        }
    }

    /// Reads a CompactSize count of items that each take at least `minItemSize` bytes, checking
    /// it against `limit` and then against the bytes left — before anything is allocated for it.
    /// `compactBlockLimit` marks the compact-block counts whose excess the C++ node bans for.
    public mutating func readCount(
        _ field: String, limit: Int, minItemSize: Int, compactBlockLimit: Bool = false
    ) throws(MessageDecodeError) -> Int {
        let count = try readCompactSize(field)
        if count > UInt64(limit) {
            if compactBlockLimit { throw .compactCountOverLimit(field: field, count: count, limit: limit) }
            throw .countOverLimit(field: field, count: count, limit: limit)
        }
        if count > UInt64(remaining / max(minItemSize, 1)) {
            throw .countExceedsBytes(field: field, count: count, remainingBytes: remaining)
        }
        return Int(count)
    }

    /// Reads a var_str (CompactSize length ‖ bytes) of at most `maxLength` bytes.
    public mutating func readVarBytes(_ field: String, maxLength: Int) throws(MessageDecodeError) -> [UInt8] {
        Array(bytes[try skipVarBytes(field, maxLength: maxLength)])
    }

    /// Skips a var_str of at most `maxLength` bytes with ``readVarBytes(_:maxLength:)``'s checks
    /// and errors, returning the range its bytes occupy (nothing copied).
    public mutating func skipVarBytes(_ field: String, maxLength: Int) throws(MessageDecodeError) -> Range<Int> {
        let length = try readCompactSize(field)
        if length > UInt64(maxLength) {
            throw .invalidField(field: field, detail: "length \(length) exceeds \(maxLength)", points: 10)
        }
        if length > UInt64(remaining) {
            throw .countExceedsBytes(field: field, count: length, remainingBytes: remaining)
        }
        return try skip(Int(length), field)
    }

    /// Fails with `.trailingBytes` unless every byte was read.
    public func expectEnd(_ command: String) throws(MessageDecodeError) {
        if remaining != 0 { throw .trailingBytes(command: command, count: remaining) }
    }
}
