/// Stored message bytes with their frame checksum, ready to be framed without hashing (a stored
/// block read through the migration path of `BlockReader.servingPayload(for:)`).
public struct PayloadWithChecksum: Sendable {
    /// The message payload.
    public let payload: [UInt8]
    /// Its frame checksum: first 4 bytes of SHA3-256(SHA3-256(payload)).
    public let checksum: UInt32

    public init(payload: [UInt8], checksum: UInt32) {
        self.payload = payload
        self.checksum = checksum
    }
}
