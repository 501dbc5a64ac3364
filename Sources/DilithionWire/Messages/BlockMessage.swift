/// `block`: header (80|144) ‖ cs(L) ‖ blob[L], where blob = cs(tx_count) ‖ transactions.
///
/// Decoding checks the header and the blob's length (≤ 4 MiB); splitting the blob into
/// transactions is ``Block/init(message:)``, done by whoever needs them.
public struct BlockMessage: Hashable, Sendable {
    public var header: BlockHeader
    public var blob: [UInt8]

    public init(header: BlockHeader, blob: [UInt8]) {
        self.header = header
        self.blob = blob
    }

    /// The length of the payload this message encodes to: header ‖ canonical cs(L) ‖ blob. A
    /// received payload of this length that decoded to this message is byte for byte its encoding
    /// (a non-canonical CompactSize or trailing bytes would make it longer).
    public var encodedPayloadSize: Int {
        let count = blob.count
        let lengthField = count < 0xFD ? 1 : count <= 0xFFFF ? 3 : count <= 0xFFFF_FFFF ? 5 : 9
        return header.encodedSize + lengthField + count
    }
}
