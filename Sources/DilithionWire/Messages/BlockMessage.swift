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
}
