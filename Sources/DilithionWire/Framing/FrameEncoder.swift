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
        precondition(FrameHeader.isValidCommand(command), "invalid command \(command)")
        precondition(payload.count <= Limits.maxMessagePayload, "payload over the frame limit")
        out.reserveCapacity(out.count + Limits.frameHeaderSize + payload.count)
        appendLE(magic.value, to: &out)
        var written = 0
        for byte in command.utf8 {
            out.append(byte)
            written += 1
        }
        out.append(contentsOf: repeatElement(0, count: Limits.commandFieldSize - written))
        appendLE(UInt32(payload.count), to: &out)
        appendLE(SHA3.checksum(payload), to: &out)
        out.append(contentsOf: payload)
    }

    /// Encodes a typed message.
    public static func encode(_ message: Message, magic: NetworkMagic) -> [UInt8] {
        encode(magic: magic, command: message.command, payload: message.encodePayload())
    }

    private static func appendLE(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 24))
    }
}
