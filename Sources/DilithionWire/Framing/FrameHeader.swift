/// The 24-byte frame header: magic ‖ command[12] ‖ length u32 ‖ checksum u32.
public struct FrameHeader: Sendable, Equatable {
    public let magic: NetworkMagic
    public let command: String
    public let payloadLength: UInt32
    public let checksum: UInt32

    public init(magic: NetworkMagic, command: String, payloadLength: UInt32, checksum: UInt32) {
        self.magic = magic
        self.command = command
        self.payloadLength = payloadLength
        self.checksum = checksum
    }

    /// The last valid command field a decoder saw and its text. A stream mostly repeats commands;
    /// a field equal to the cached one needs neither validation nor a new `String`.
    struct CommandCache {
        /// The 12 field bytes as two integers (bytes 0–7, 8–11), nil before the first header.
        var field: (UInt64, UInt32)?
        var command = ""
    }

    /// Parses and validates a header from exactly 24 bytes. Validation order follows the wire:
    /// magic, then command, then the length (before any payload is looked at).
    public static func parse(
        _ raw: UnsafeRawBufferPointer, expecting magic: NetworkMagic, maxPayload: Int
    ) throws(FrameError) -> FrameHeader {
        var cache = CommandCache()
        return try parse(raw, expecting: magic, maxPayload: maxPayload, cache: &cache)
    }

    /// ``parse(_:expecting:maxPayload:)`` with a command cache (the decoder's hot path).
    static func parse(
        _ raw: UnsafeRawBufferPointer, expecting magic: NetworkMagic, maxPayload: Int, cache: inout CommandCache
    ) throws(FrameError) -> FrameHeader {
        precondition(raw.count >= Limits.frameHeaderSize)
        let receivedMagic = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard receivedMagic == magic.value else { throw FrameError(.badMagic(received: receivedMagic)) }
        let fieldWords = (raw.loadUnaligned(fromByteOffset: 4, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let command: String
        if let cached = cache.field, cached == fieldWords {
            command = cache.command
        } else {
            let field = UnsafeRawBufferPointer(rebasing: raw[4..<16])
            guard let valid = validatedCommand(field) else {
                throw FrameError(.badCommand(field: Array(field)))
            }
            command = valid
            cache.field = fieldWords
            cache.command = valid
        }
        let length = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        guard UInt64(length) <= UInt64(maxPayload) else { throw FrameError(.oversize(length: length)) }
        let checksum = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        return FrameHeader(magic: magic, command: command, payloadLength: length, checksum: checksum)
    }

    /// Applies the command rules: printable ASCII, then NULs only, byte 11 NUL, not empty.
    static func validatedCommand(_ field: UnsafeRawBufferPointer) -> String? {
        var length = 0
        while length < Limits.commandFieldSize, field[length] != 0 {
            let byte = field[length]
            guard byte >= 0x20, byte <= 0x7E else { return nil }
            length += 1
        }
        // Byte 11 must be NUL, so a command fills at most 11 bytes; an empty one is refused.
        guard length >= 1, length < Limits.commandFieldSize else { return nil }
        for index in length..<Limits.commandFieldSize where field[index] != 0 { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: field[0..<length]), as: UTF8.self)
    }

    /// True when `command` can be sent: 1–11 printable ASCII characters.
    public static func isValidCommand(_ command: String) -> Bool {
        let utf8 = command.utf8  // a view: checked on every encoded frame, so no array is built
        return (1..<Limits.commandFieldSize).contains(utf8.count) && utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
