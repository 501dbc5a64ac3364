import DilithionNet
import DilithionWire

extension Node {
    /// `getdata`: block requests go to the block server (store reads off the dispatcher thread);
    /// other kinds are ignored and counted, unknown kinds penalised.
    func receivedGetdata(_ items: [InventoryItem], _ context: HandlerContext) {
        var hashes = [Hash256]()
        for item in items {
            switch item.kind {
            case .block:
                hashes.append(item.hash)
            case .transaction, .filteredBlock, .compactBlock:
                countIgnored("getdata-unsupported")
            case nil:
                penalize(context, points: 10, reason: "bad-inv-type", detail: "inventory type \(item.type)")
            }
        }
        if !hashes.isEmpty { serving.enqueue(hashes, for: context.peer) }
    }
}
