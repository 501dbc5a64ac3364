/// The frame checksum a received message's payload was verified against, with that payload's
/// length, and the payload itself when the receiver kept it: enough to store a received block as
/// it came off the wire, or to tell whether bytes encoded again from the decoded message are the
/// same bytes (``BlockWriter/insert(hash:height:message:payloadChecksum:)``).
public struct PayloadChecksum: Sendable, Equatable {
    /// First 4 bytes of SHA3-256(SHA3-256(payload)), as the frame header carries them.
    public let checksum: UInt32
    /// The payload's length in bytes.
    public let payloadCount: Int
    /// The verified payload bytes (a large received frame's own array, shared, not copied; a
    /// small frame's copy of its stretch of the read), or nil when only the checksum was kept.
    public let receivedPayload: [UInt8]?

    public init(checksum: UInt32, payloadCount: Int) {
        self.checksum = checksum
        self.payloadCount = payloadCount
        self.receivedPayload = nil
    }

    /// The checksum of `payload`, kept with the payload (the caller answers for the match: the
    /// frame decoder verified it).
    public init(checksum: UInt32, payload: [UInt8]) {
        self.checksum = checksum
        self.payloadCount = payload.count
        self.receivedPayload = payload
    }
}
