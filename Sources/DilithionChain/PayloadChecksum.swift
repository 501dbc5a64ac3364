/// The frame checksum a received message's payload was verified against, with that payload's
/// length: enough to tell whether bytes encoded again from the decoded message are the same bytes
/// (``BlockWriter/insert(hash:height:message:payloadChecksum:)``).
public struct PayloadChecksum: Sendable, Equatable {
    /// First 4 bytes of SHA3-256(SHA3-256(payload)), as the frame header carries them.
    public let checksum: UInt32
    /// The payload's length in bytes.
    public let payloadCount: Int

    public init(checksum: UInt32, payloadCount: Int) {
        self.checksum = checksum
        self.payloadCount = payloadCount
    }
}
