/// One complete, checksum-verified message as it came off the wire: its command and raw payload.
///
/// Turning the payload into a typed ``Message`` is a separate step (``Message/decode(command:payload:)``)
/// so that the I/O thread only frames bytes and the dispatcher does the parsing.
public struct Frame: Sendable, Equatable {
    /// The command, without its NUL padding (printable ASCII, 1–11 characters).
    public let command: String
    /// The payload bytes.
    public let payload: [UInt8]
    /// The header checksum of `payload` (first 4 bytes of SHA3-256(SHA3-256(payload)), little
    /// endian) when it is known: the decoder sets it to the value it verified. A reply that carries
    /// the same payload bytes (a `pong` for a `ping`) reuses it instead of hashing them again
    /// (``FrameEncoder/encode(magic:command:payloadOf:into:)``). Nil for frames built in code.
    public let verifiedChecksum: UInt32?

    /// A frame built in code (its checksum is computed when it is encoded).
    public init(command: String, payload: [UInt8]) {
        self.command = command
        self.payload = payload
        self.verifiedChecksum = nil
    }

    /// A frame whose payload's checksum was verified against `checksum` (the decoder).
    init(command: String, payload: [UInt8], verifiedChecksum checksum: UInt32) {
        self.command = command
        self.payload = payload
        self.verifiedChecksum = checksum
    }

    /// Bytes the frame occupied on the wire (24-byte header + payload).
    @inlinable
    public var wireSize: Int { Limits.frameHeaderSize + payload.count }

    /// Frames are equal when their commands and payloads are (a known checksum follows from the
    /// payload, so it is not compared).
    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        lhs.command == rhs.command && lhs.payload == rhs.payload
    }
}
