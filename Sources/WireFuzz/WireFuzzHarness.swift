import DilithionWire

/// The codec's fuzz oracle, shared by the libFuzzer target (`WireFuzz`) and the unit tests that
/// replay its corpus: any input that makes it trap is a bug.
///
/// Properties checked on every input:
/// - the frame decoder, fed the input in chunks whose sizes come from the input itself, never
///   traps, always makes progress, and yields the same frames as when fed the whole input at once,
///   whether taken one at a time or all at once per chunk (`nextFrames`, the reactor's path);
/// - the buffered byte count never exceeds the bytes fed;
/// - for every payload that decodes, `decode(encode(m)) == m`.
public enum WireFuzzHarness {
    /// Commands the fuzzer steers payloads to, indexed by the input's first byte.
    public static let commands: [String] = Command.sizeWindows.keys.sorted() + ["unknowncmd"]

    /// Runs every property over `data`.
    public static func run(_ data: UnsafeRawBufferPointer) {
        guard !data.isEmpty else { return }
        // 1. Direct payload decoding for a command chosen by the first byte.
        let command = commands[Int(data[0]) % commands.count]
        let payload = Array(data.dropFirst())
        checkRoundTrip(command: command, payload: payload)

        // 2. The frame decoder over the raw bytes (with the real magic prefixed half the time so
        //    that the header checks pass and payload paths are reached).
        var stream = [UInt8]()
        if data[0] & 1 == 1 { stream += Network.regtest.magic.wireBytes }
        stream += payload
        let whole = framesFed(stream, chunkSizes: [stream.count])
        let chunkSizes = payload.prefix(16).map { Int($0 % 7) + 1 }
        let chunked = framesFed(stream, chunkSizes: chunkSizes.isEmpty ? [1] : chunkSizes)
        precondition(whole == chunked, "chunking changed the frames decoded")
        // Taken all at once, drops are reported as they are found and the frames come together
        // after them: the frames, and the errors, must each be the same sequence.
        let batched = framesFed(stream, chunkSizes: chunkSizes.isEmpty ? [1] : chunkSizes, allAtOnce: true)
        precondition(
            frames(of: batched) == frames(of: chunked) && errors(of: batched) == errors(of: chunked),
            "taking the frames all at once changed them")
        for case .frame(let frame) in whole { checkRoundTrip(command: frame.command, payload: frame.payload) }
    }

    /// What a decoder yields over a stream: frames and errors in order.
    public enum Outcome: Equatable {
        case frame(Frame)
        case error(FrameError)
    }

    /// Feeds `stream` in chunks of the given sizes (cycled) and collects everything yielded, one
    /// ``FrameDecoder/nextFrame()`` at a time or, with `allAtOnce`, with one
    /// ``FrameDecoder/nextFrames(into:dropped:)`` per chunk.
    public static func framesFed(_ stream: [UInt8], chunkSizes: [Int], allAtOnce: Bool = false) -> [Outcome] {
        var decoder = FrameDecoder(magic: Network.regtest.magic)
        var outcomes = [Outcome]()
        var offset = 0
        var chunkIndex = 0
        var fed = 0
        drain: while offset < stream.count {
            let size = min(max(chunkSizes[chunkIndex % chunkSizes.count], 1), stream.count - offset)
            chunkIndex += 1
            stream.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + size])) }
            offset += size
            fed += size
            if allAtOnce {
                var frames: [Frame] = []
                do throws(FrameError) {
                    try decoder.nextFrames(into: &frames) { outcomes.append(.error($0)) }
                    outcomes += frames.map { .frame($0) }
                } catch {
                    outcomes += frames.map { .frame($0) }
                    outcomes.append(.error(error))
                    break drain
                }
                precondition(decoder.bufferedByteCount <= fed, "decoder holds more bytes than it was fed")
                continue
            }
            while true {
                do {
                    guard let frame = try decoder.nextFrame() else { break }
                    outcomes.append(.frame(frame))
                } catch {
                    outcomes.append(.error(error))
                    if error.disposition == .disconnectPeer { break drain }
                }
            }
            precondition(decoder.bufferedByteCount <= fed, "decoder holds more bytes than it was fed")
        }
        return outcomes
    }

    private static func frames(of outcomes: [Outcome]) -> [Frame] {
        outcomes.compactMap { if case .frame(let frame) = $0 { return frame } else { return nil } }
    }

    private static func errors(of outcomes: [Outcome]) -> [FrameError] {
        outcomes.compactMap { if case .error(let error) = $0 { return error } else { return nil } }
    }

    /// decode(encode(decode(payload))) == decode(payload) whenever the payload decodes.
    public static func checkRoundTrip(command: String, payload: [UInt8]) {
        guard let message = try? Message.decode(command: command, payload: payload) else { return }
        let encoded = message.encodePayload()
        precondition(encoded.count <= payload.count, "re-encoding grew the payload")
        guard let again = try? Message.decode(command: command, payload: encoded) else {
            preconditionFailure("re-encoded \(command) does not decode")
        }
        precondition(again == message, "round trip changed the \(command) message")
    }
}
