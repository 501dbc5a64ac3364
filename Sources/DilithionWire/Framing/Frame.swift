/// One complete, checksum-verified message as it came off the wire: its command and raw payload.
///
/// Turning the payload into a typed ``Message`` is a separate step (``Message/decode(command:payload:)``)
/// so that the I/O thread only frames bytes and the dispatcher does the parsing.
public struct Frame: Sendable, Equatable {
    /// The command, without its NUL padding (printable ASCII, 1–11 characters).
    public let command: String
    /// The payload bytes.
    public let payload: [UInt8]

    public init(command: String, payload: [UInt8]) {
        self.command = command
        self.payload = payload
    }

    /// Bytes the frame occupied on the wire (24-byte header + payload).
    @inlinable
    public var wireSize: Int { Limits.frameHeaderSize + payload.count }
}
