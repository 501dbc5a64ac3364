/// A whole frame, its 24-byte header and its payload, in one array: what a sender hands the engine
/// when the bytes should reach the socket from this very array, with no copy in between (a stored
/// block read from the store straight behind its header, a cached `headers` reply).
///
/// The header carries a checksum the builder supplies. The caller answers for it matching the
/// payload (computed from or verified against exactly these bytes earlier): a wrong one makes the
/// receiver drop the frame as corrupt, and nothing here hashes to check it.
public struct EncodedFrame: Sendable {
    /// Header ‖ payload, as they go on the wire.
    public let bytes: [UInt8]
    /// The command in the header (kept as text for the engine's per-command counters).
    public let command: String

    /// Builds a frame in one allocation: the header is written first, then `fill` writes exactly
    /// `payloadCount` bytes into the room behind it (e.g. a database blob read straight into it).
    ///
    /// - Precondition: `command` is 1–11 printable ASCII characters and `payloadCount` is within
    ///   ``Limits/maxMessagePayload``.
    public init(
        magic: NetworkMagic, command: String, payloadCount: Int, checksum: UInt32,
        fillingPayload fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows {
        var header = FrameEncoder.headerWords(magic: magic, command: command, payloadCount: payloadCount, checksum: checksum)
        let total = Limits.frameHeaderSize + payloadCount
        bytes = try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            withUnsafeBytes(of: &header) { raw.copyMemory(from: $0) }
            // UInt8 is trivial: if `fill` throws, the array is discarded with whatever it holds.
            initialized = total
            try fill(UnsafeMutableRawBufferPointer(rebasing: raw[Limits.frameHeaderSize...]))
        }
        self.command = command
    }

    /// A frame of `payload` under `checksum`, computed earlier from exactly these bytes (one copy).
    public init(magic: NetworkMagic, command: String, payload: UnsafeRawBufferPointer, checksum: UInt32) {
        self.init(magic: magic, command: command, payloadCount: payload.count, checksum: checksum) { room in
            if !payload.isEmpty { room.copyMemory(from: payload) }
        }
    }

    /// The payload's length in bytes.
    public var payloadCount: Int { bytes.count - Limits.frameHeaderSize }

    /// The network magic in the header.
    public var magic: NetworkMagic {
        NetworkMagic(bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) })
    }

    /// The checksum in the header.
    public var checksum: UInt32 {
        bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 20, as: UInt32.self)) }
    }

    /// Calls `body` with the payload bytes in place (no copy).
    public func withUnsafePayload<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Limits.frameHeaderSize...])) }
    }
}
