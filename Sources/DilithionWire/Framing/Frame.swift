/// One complete, checksum-verified message as it came off the wire: its command and raw payload.
///
/// Turning the payload into a typed ``Message`` is a separate step (``Message/decode(command:payload:)``)
/// so that the I/O thread only frames bytes and the dispatcher does the parsing.
///
/// Storage: a frame built in code, or a large one, owns its payload array. The frames a decoder
/// takes out of one read together (``FrameDecoder/nextFrames(into:dropped:)``) share one array
/// holding all their payloads back to back, so a read of two thousand pings costs one allocation,
/// not two thousand. ``payload`` then returns a copy of the frame's own bytes (so a handler that
/// keeps it does not keep the whole read alive); ``withUnsafePayload(_:)`` reads them in place.
public struct Frame: Sendable, Equatable {
    /// The command, without its NUL padding (printable ASCII, 1–11 characters).
    public let command: String
    private let storage: [UInt8]
    private let payloadStart: Int
    /// The payload's length in bytes.
    public let payloadCount: Int
    /// The header checksum of the payload (first 4 bytes of SHA3-256(SHA3-256(payload)), little
    /// endian) when it is known: the decoder sets it to the value it verified, a stored block or cached reply to the value kept
    /// with its bytes. A reply that carries
    /// the same payload bytes (a `pong` for a `ping`) reuses it instead of hashing them again
    /// (``FrameEncoder/encode(magic:command:payloadOf:into:)``). Nil for frames built in code.
    public let verifiedChecksum: UInt32?

    /// A frame built in code (its checksum is computed when it is encoded).
    public init(command: String, payload: [UInt8]) {
        self.init(command: command, storage: payload, start: 0, count: payload.count, verifiedChecksum: nil)
    }

    /// A frame built from bytes whose checksum was computed earlier from exactly these bytes and
    /// kept with them (a stored block, a cached `headers` reply), so that sending it hashes nothing.
    /// The caller answers for `checksum` matching `payload`: a wrong one makes the receiver drop the
    /// frame as corrupt.
    public init(command: String, payload: [UInt8], checksum: UInt32) {
        self.init(command: command, storage: payload, start: 0, count: payload.count, verifiedChecksum: checksum)
    }

    /// A frame whose payload is `count` bytes of `storage` from `start`, verified against
    /// `checksum` when known (the decoder).
    init(command: String, storage: [UInt8], start: Int, count: Int, verifiedChecksum checksum: UInt32?) {
        precondition(start >= 0 && count >= 0 && start + count <= storage.count)
        self.command = command
        self.storage = storage
        self.payloadStart = start
        self.payloadCount = count
        self.verifiedChecksum = checksum
    }

    /// The payload bytes (the frame's own array, or a copy of its stretch of a shared one).
    public var payload: [UInt8] {
        if payloadStart == 0, payloadCount == storage.count { return storage }
        return Array(storage[payloadStart..<payloadStart + payloadCount])
    }

    /// Calls `body` with the payload bytes in place (no copy).
    public func withUnsafePayload<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[payloadStart..<payloadStart + payloadCount])) }
    }

    /// Bytes the frame occupied on the wire (24-byte header + payload).
    public var wireSize: Int { Limits.frameHeaderSize + payloadCount }

    /// Frames are equal when their commands and payload bytes are (a known checksum follows from
    /// the payload, and where the bytes are stored does not matter).
    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        guard lhs.command == rhs.command, lhs.payloadCount == rhs.payloadCount else { return false }
        return lhs.withUnsafePayload { left in rhs.withUnsafePayload { right in left.elementsEqual(right) } }
    }
}
