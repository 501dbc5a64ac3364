/// Builds frames: header (magic, NUL-padded command, length, SHA3d checksum) ‖ payload.
public enum FrameEncoder {
    /// Encodes one frame into a new array.
    public static func encode(magic: NetworkMagic, command: String, payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        payload.withUnsafeBytes { encode(magic: magic, command: command, payload: $0, into: &out) }
        return out
    }

    /// Appends one frame to `out` (lets a caller batch several frames into one buffer).
    public static func encode(
        magic: NetworkMagic, command: String, payload: UnsafeRawBufferPointer, into out: inout [UInt8]
    ) {
        encode(magic: magic, command: command, payload: payload, checksum: SHA3.checksum(payload), into: &out)
    }

    /// Appends a frame carrying `frame`'s payload under `command` (a `pong` answering a `ping`
    /// echoes its nonce). When the frame came from a ``FrameDecoder`` its verified checksum is
    /// reused: the checksum depends on the payload bytes alone, so the reply's is the same and
    /// the bytes are not hashed a second time.
    public static func encode(magic: NetworkMagic, command: String, payloadOf frame: Frame, into out: inout [UInt8]) {
        frame.withUnsafePayload { payload in
            encode(
                magic: magic, command: command, payload: payload,
                checksum: frame.verifiedChecksum ?? SHA3.checksum(payload), into: &out)
        }
    }

    /// Appends one frame with a checksum the caller computed from exactly these payload bytes
    /// (``SHA3/checksum(_:)-swift.type.method``), e.g. outside a lock, so that the copy into a
    /// shared buffer under the lock does no hashing.
    public static func encode(
        magic: NetworkMagic, command: String, payload: UnsafeRawBufferPointer, checksum: UInt32,
        into out: inout [UInt8]
    ) {
        var header = headerWords(magic: magic, command: command, payloadCount: payload.count, checksum: checksum)
        let needed = out.count + Limits.frameHeaderSize + payload.count
        if out.capacity < needed {
            out.reserveCapacity(Swift.max(needed, out.capacity * 2))
        }
        withUnsafeBytes(of: &header) { out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
        if !payload.isEmpty {
            out.append(contentsOf: payload.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The 24 header bytes as three words in memory order: magic ‖ command (NUL-padded to 12) ‖
    /// length ‖ checksum, built in registers. The command is checked while it is copied (1–11
    /// printable ASCII characters, as ``FrameHeader/isValidCommand(_:)``), so a bad one never
    /// reaches the wire; so is the payload length against the frame limit.
    static func headerWords(
        magic: NetworkMagic, command: String, payloadCount: Int, checksum: UInt32
    ) -> (UInt64, UInt64, UInt64) {
        precondition(payloadCount <= Limits.maxMessagePayload, "payload over the frame limit")
        var header: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let commandLength = withUnsafeMutableBytes(of: &header) { raw -> Int? in
            raw.storeBytes(of: magic.value.littleEndian, toByteOffset: 0, as: UInt32.self)
            var length = 0
            for byte in command.utf8 {
                guard length < Limits.commandFieldSize - 1, byte >= 0x21, byte <= 0x7E else { return nil }
                raw[4 + length] = byte
                length += 1
            }
            raw.storeBytes(of: UInt32(payloadCount).littleEndian, toByteOffset: 16, as: UInt32.self)
            raw.storeBytes(of: checksum.littleEndian, toByteOffset: 20, as: UInt32.self)
            return length
        }
        precondition((commandLength ?? 0) >= 1, "invalid command \(command)")
        return header
    }

    /// Encodes a typed message.
    public static func encode(_ message: Message, magic: NetworkMagic) -> [UInt8] {
        encode(magic: magic, command: message.command, payload: message.encodePayload())
    }
}
