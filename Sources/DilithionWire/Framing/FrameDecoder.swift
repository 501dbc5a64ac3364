/// Incremental frame decoder: feed it chunks as they come off the socket, take complete frames out.
///
/// Feed any split of the stream — one byte at a time, many frames in one chunk, a frame cut at any
/// offset — and each complete frame comes out exactly once, in order. The header is validated as
/// soon as its 24 bytes are present, so an oversized length claim is refused before any payload
/// is buffered.
///
/// Memory: the decoder holds the bytes it has been given and not yet returned, and never reserves
/// space from a claimed length: while a large payload is arriving its buffer grows geometrically
/// with the bytes actually received (at most ``Limits/decoderReserveAhead`` beyond them), capped at
/// the frame's end, so a peer that claims 32 MiB and sends 10 bytes costs at most 1 MiB of reserved
/// (and unwritten, so unbacked) memory. After a large frame the buffer is released.
///
/// Large payloads (≥ ``Limits/decoderLargePayload``) bypass the shared buffer: their bytes are
/// copied once, straight into the array that becomes ``Frame/payload``, and hashed as they arrive
/// (while still in cache), so a 1 MiB block costs one copy and one pass of SHA3.
///
/// Errors: see ``FrameError`` for the policy. After a ``FrameError/Disposition/disconnectPeer``
/// error the decoder is poisoned and rethrows that error; after a
/// ``FrameError/Disposition/dropMessage`` error the bad frame is gone and decoding continues.
///
/// ```swift
/// decoder.append(chunk)
/// while let frame = try decoder.nextFrame() { inbox.append(frame) }
/// ```
public struct FrameDecoder: Sendable {
    public let magic: NetworkMagic
    public let maxPayload: Int

    private var buffer: [UInt8] = []
    /// Offset in `buffer` of the first byte not yet returned (the start of the next frame).
    private var start = 0
    /// The validated header of the frame at `start`, once its 24 bytes are in.
    private var pendingHeader: FrameHeader?
    private var poison: FrameError?
    /// A large payload being received directly into its own array, hashed as it arrives.
    private var large: LargePayload?
    /// This decoder's checksum context. A copy of the decoder shares it, so a decoder and its
    /// copies must be used on one thread at a time (the reactor owns each connection's decoder).
    private let hasher = FrameHasher()
    /// The last command seen, so that a run of equal commands shares one validated `String`.
    private var commandCache = FrameHeader.CommandCache()

    private struct LargePayload: Sendable {
        let header: FrameHeader
        var bytes: [UInt8]
        var missing: Int { Int(header.payloadLength) - bytes.count }

        /// Appends, reserving at most ``Limits/decoderReserveAhead`` beyond what has arrived (or
        /// doubling, if larger) and never past the payload's end.
        mutating func append(_ chunk: UnsafeRawBufferPointer) {
            let needed = bytes.count + chunk.count
            if needed > bytes.capacity {
                let target = max(needed + Limits.decoderReserveAhead, bytes.capacity * 2)
                bytes.reserveCapacity(min(Int(header.payloadLength), target))
            }
            bytes.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Buffers larger than this are dropped (not kept for reuse) once they hold no partial frame.
    private static let retainedCapacity = 256 * 1024

    public init(magic: NetworkMagic, maxPayload: Int = Limits.maxMessagePayload) {
        precondition(maxPayload >= 0 && maxPayload <= Limits.maxMessagePayload)
        self.magic = magic
        self.maxPayload = maxPayload
    }

    /// Bytes held that have not been returned as frames yet (header bytes included).
    public var bufferedByteCount: Int {
        buffer.count - start + (large.map { Limits.frameHeaderSize + $0.bytes.count } ?? 0)
    }

    /// True while part of a frame is buffered. The engine uses it for the
    /// partial-frame deadline (a peer must not hold a slot by trickling bytes).
    public var hasPartialFrame: Bool { buffer.count > start || large != nil }

    /// Bytes still missing from the frame being received, when its header is already in.
    public var missingByteCount: Int? {
        if let large { return large.missing }
        guard let header = pendingHeader else { return nil }
        return Limits.frameHeaderSize + Int(header.payloadLength) - bufferedByteCount
    }

    /// The memory the decoder currently holds (its buffer's capacity).
    public var capacity: Int { buffer.capacity + (large?.bytes.capacity ?? 0) }

    /// Copies a chunk in. Cheap to call with empty chunks.
    public mutating func append(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty, poison == nil else { return }
        var bytes = chunk
        if var payload = large {
            large = nil  // keep the array uniquely referenced while it grows
            let take = min(payload.missing, bytes.count)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[0..<take])
            payload.append(piece)
            hasher.update(piece)
            large = payload
            bytes = UnsafeRawBufferPointer(rebasing: bytes[take...])
            if bytes.isEmpty { return }
        }
        compact()
        let needed = buffer.count + bytes.count
        if needed > buffer.capacity {
            // Grow geometrically, but never past the end of the frame being received: the
            // amount reserved ahead is bounded by what the peer has actually sent.
            var target = max(needed, buffer.capacity * 2, 4096)
            if let missing = missingByteCount {
                target = min(target, max(needed, buffer.count + missing))
            }
            buffer.reserveCapacity(target)
        }
        // Typed as UInt8 so the append is one memcpy (a raw buffer is appended byte by byte).
        buffer.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// Copies a chunk in.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Returns the next complete frame, nil when more bytes are needed, or throws.
    public mutating func nextFrame() throws(FrameError) -> Frame? {
        if let poison { throw poison }
        if let payload = large {
            guard payload.missing == 0 else { return nil }
            large = nil
            let checksum = hasher.finishChecksum()
            guard checksum == payload.header.checksum else {
                throw FrameError(.badChecksum(
                    command: payload.header.command, expected: checksum, received: payload.header.checksum))
            }
            return Frame(
                command: payload.header.command, storage: payload.bytes, start: 0, count: payload.bytes.count,
                verifiedChecksum: checksum)
        }
        let header: FrameHeader
        if let pending = pendingHeader {
            header = pending
        } else {
            guard bufferedByteCount >= Limits.frameHeaderSize else { return nil }
            var cache = commandCache
            let parsed = buffer.withUnsafeBytes { [start, magic, maxPayload] raw in
                Result { () throws(FrameError) -> FrameHeader in
                    try FrameHeader.parse(
                        UnsafeRawBufferPointer(rebasing: raw[start..<start + Limits.frameHeaderSize]),
                        expecting: magic, maxPayload: maxPayload, cache: &cache)
                }
            }
            commandCache = cache
            switch parsed {
            case .success(let valid):
                header = valid
            case .failure(let error):
                poison = error
                buffer = []
                start = 0
                throw error
            }
            pendingHeader = header
        }
        let payloadLength = Int(header.payloadLength)
        if payloadLength >= Limits.decoderLargePayload {
            // Switch to direct reception: move the payload bytes already buffered (at most one
            // chunk) into the payload's own array.
            let payloadStart = start + Limits.frameHeaderSize
            let available = min(payloadLength, buffer.count - payloadStart)
            var payload = LargePayload(header: header, bytes: [])
            payload.bytes.reserveCapacity(min(payloadLength, available + Limits.decoderReserveAhead))
            hasher.begin()
            buffer.withUnsafeBytes { raw in
                let piece = UnsafeRawBufferPointer(rebasing: raw[payloadStart..<payloadStart + available])
                payload.append(piece)
                hasher.update(piece)
            }
            start = payloadStart + available
            pendingHeader = nil
            large = payload
            return try nextFrame()
        }
        guard bufferedByteCount >= Limits.frameHeaderSize + payloadLength else { return nil }

        let payloadStart = start + Limits.frameHeaderSize
        let payloadRange = payloadStart..<payloadStart + payloadLength
        let checksum = buffer.withUnsafeBytes { hasher.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadRange])) }
        let payload = Array(buffer[payloadRange])
        start = payloadRange.upperBound
        pendingHeader = nil
        guard checksum == header.checksum else {
            throw FrameError(.badChecksum(command: header.command, expected: checksum, received: header.checksum))
        }
        return Frame(command: header.command, storage: payload, start: 0, count: payloadLength, verifiedChecksum: checksum)
    }

    /// Takes every complete frame the buffer holds, appending them to `frames` in order (the same
    /// frames and errors, in the same order, as repeated ``nextFrame()`` calls). A frame dropped
    /// for a bad checksum is passed to `dropped` and decoding goes on; an error that ends the
    /// stream is thrown after the frames before it were appended. The frames below
    /// ``Limits/decoderLargePayload`` taken together share one payload array (see ``Frame``): the
    /// reactor's path, one allocation per read instead of one per message.
    public mutating func nextFrames(into frames: inout [Frame], dropped: (FrameError) -> Void) throws(FrameError) {
        while true {
            takeCompleteSmallFrames(into: &frames, dropped: dropped)
            // What stopped the scan: a large frame, a header error, or no complete frame left.
            do throws(FrameError) {
                guard let frame = try nextFrame() else { return }
                frames.append(frame)
            } catch {
                guard error.disposition == .dropMessage else { throw error }
                dropped(error)
            }
        }
    }

    /// One complete small frame the scan verified (against its header's checksum): its header and
    /// where its payload is in `buffer`.
    private struct SmallFrame {
        let header: FrameHeader
        let payloadStart: Int
    }

    /// Verifies the complete frames below the large-payload size at the front of the buffer and
    /// appends them with their payloads copied into one new array. Stops at a large frame's
    /// header or an incomplete frame (its header kept as `pendingHeader`), or at a header error
    /// (left for ``nextFrame()``, which reports it and poisons the decoder).
    private mutating func takeCompleteSmallFrames(into frames: inout [Frame], dropped: (FrameError) -> Void) {
        guard poison == nil, large == nil else { return }
        var position = start
        var pending = pendingHeader
        var cache = commandCache
        var found: [SmallFrame] = []
        var payloadBytes = 0
        buffer.withUnsafeBytes { [magic, maxPayload, hasher] raw in
            while raw.count - position >= Limits.frameHeaderSize {
                let header: FrameHeader
                if let known = pending {
                    header = known
                } else {
                    let field = UnsafeRawBufferPointer(rebasing: raw[position..<position + Limits.frameHeaderSize])
                    guard let parsed = try? FrameHeader.parse(field, expecting: magic, maxPayload: maxPayload, cache: &cache)
                    else { return }
                    header = parsed
                }
                let length = Int(header.payloadLength)
                let payloadStart = position + Limits.frameHeaderSize
                guard length < Limits.decoderLargePayload, raw.count - payloadStart >= length else {
                    pending = header
                    return
                }
                pending = nil
                let checksum = hasher.checksum(UnsafeRawBufferPointer(rebasing: raw[payloadStart..<payloadStart + length]))
                if checksum == header.checksum {
                    found.append(SmallFrame(header: header, payloadStart: payloadStart))
                    payloadBytes += length
                } else {
                    dropped(FrameError(.badChecksum(command: header.command, expected: checksum, received: header.checksum)))
                }
                position = payloadStart + length
            }
        }
        commandCache = cache
        pendingHeader = pending
        guard !found.isEmpty else {
            start = position
            return
        }
        let shared = [UInt8](unsafeUninitializedCapacity: payloadBytes) { out, initialized in
            buffer.withUnsafeBytes { raw in
                var offset = 0
                for frame in found {
                    let length = Int(frame.header.payloadLength)
                    if length > 0 {
                        (out.baseAddress! + offset).initialize(
                            from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + frame.payloadStart, count: length)
                    }
                    offset += length
                }
            }
            initialized = payloadBytes
        }
        var offset = 0
        for frame in found {
            let length = Int(frame.header.payloadLength)
            frames.append(Frame(
                command: frame.header.command, storage: shared, start: offset, count: length,
                verifiedChecksum: frame.header.checksum))
            offset += length
        }
        start = position
    }

    /// Moves the unread tail to the front (it is at most one partial frame, and since a frame was
    /// just returned it is at most one chunk long), or releases a buffer a big frame left behind.
    private mutating func compact() {
        guard start > 0 else { return }
        let unread = buffer.count - start
        if buffer.capacity > Self.retainedCapacity && unread <= Self.retainedCapacity / 4 {
            buffer = Array(buffer[start...])
        } else if unread == 0 {
            buffer.removeAll(keepingCapacity: true)
        } else {
            buffer.removeSubrange(0..<start)
        }
        start = 0
    }
}
